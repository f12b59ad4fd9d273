/** Spec §6 / §5.2 over gRPC: pause and resume with run input; suspend and resume. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SetStateStatus } from "../../../gen/flowgate/v1/orchestration_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { flowRunHelpers, reasonOf } from "../../support/flow-runs.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";

let server: TestServer;
let h: ReturnType<typeof flowRunHelpers>;
beforeAll(async () => {
  server = await startTestServer();
  h = flowRunHelpers(server);
});
afterAll(() => server.stop());

const keyset = {
  schema: "paused-1-schema",
  response: "paused-1-response",
  description: "paused-1-description",
};
const schema = {
  type: "object",
  properties: { approved: { type: "boolean" } },
  required: ["approved"],
};

describe("pause and resume with run input", () => {
  it("validates the input against the stored schema, resumes, and stores the response", async () => {
    const run = await h.newRun();
    await h.propose(run.id, { type: StateType.RUNNING });
    await h.runs.createFlowRunInput({
      flowRunId: run.id,
      key: keyset.schema,
      value: JSON.stringify(schema),
    });
    const paused = await h.propose(run.id, {
      type: StateType.PAUSED,
      stateDetails: { pauseKey: "1", runInputKeyset: keyset },
    });
    expect(paused.status).toBe(SetStateStatus.ACCEPT);
    expect((await h.get(run.id)).empiricalPolicy?.pauseKeys).toEqual(["1"]);

    const missing = (await h.runs.resumeFlowRun({ flowRunId: run.id, runInput: {} })).result!;
    expect(missing.status).toBe(SetStateStatus.REJECT);
    expect(missing.details.case).toBe("abort");
    expect(reasonOf(missing)).toContain("approved");
    expect(missing.state?.type).toBe(StateType.PAUSED);

    const wrongType = (
      await h.runs.resumeFlowRun({ flowRunId: run.id, runInput: { approved: "not a bool!" } })
    ).result!;
    expect(wrongType.status).toBe(SetStateStatus.REJECT);
    expect(reasonOf(wrongType)).toMatch(/^Reason: .*boolean/);

    const resumed = (
      await h.runs.resumeFlowRun({ flowRunId: run.id, runInput: { approved: true } })
    ).result!;
    expect(resumed.status).toBe(SetStateStatus.ACCEPT);
    expect(resumed.state?.type).toBe(StateType.RUNNING);
    const response = await h.runs.getFlowRunInput({ flowRunId: run.id, key: keyset.response });
    expect(JSON.parse(response.flowRunInput!.value)).toEqual({ approved: true });

    const again = await h.propose(run.id, {
      type: StateType.PAUSED,
      stateDetails: { pauseKey: "1" },
    });
    expect(again.status).toBe(SetStateStatus.REJECT);
    expect(reasonOf(again)).toBe("This pause has already fired.");
  });

  it("refuses to resume a run that is not paused", async () => {
    const run = await h.newRun();
    const result = (await h.runs.resumeFlowRun({ flowRunId: run.id })).result!;
    expect(result.status).toBe(SetStateStatus.ABORT);
    expect(reasonOf(result)).toBe("Cannot resume a flow run that is not paused.");
    expect(result.state).toBeUndefined();
  });
});

describe("suspend and resume", () => {
  it("suspends a deployed run and resumes it by rescheduling", async () => {
    const { flowId, deploymentId } = await h.newDeployment();
    const run = await h.newRun({ flowId, deploymentId });
    await h.propose(run.id, { type: StateType.RUNNING });
    const suspended = await h.propose(run.id, {
      type: StateType.PAUSED,
      name: "Suspended",
      stateDetails: { pauseKey: "s", pauseReschedule: true },
    });
    expect(suspended.status).toBe(SetStateStatus.ACCEPT);
    const resumed = (await h.runs.resumeFlowRun({ flowRunId: run.id })).result!;
    expect(resumed.status).toBe(SetStateStatus.ACCEPT);
    expect(resumed.state?.type).toBe(StateType.SCHEDULED);
    expect(resumed.state?.name).toBe("Resuming");
  });

  it("refuses to suspend a run without a deployment", async () => {
    const run = await h.newRun();
    await h.propose(run.id, { type: StateType.RUNNING });
    const result = await h.propose(run.id, {
      type: StateType.PAUSED,
      name: "Suspended",
      stateDetails: { pauseReschedule: true },
    });
    expect(result.status).toBe(SetStateStatus.ABORT);
    expect(reasonOf(result)).toBe("Cannot suspend flows without a deployment.");
  });
});
