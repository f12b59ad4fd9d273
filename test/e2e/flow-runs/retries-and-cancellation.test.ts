/** Spec §6 traces over gRPC: flow retry, manual retry, cancellation with and without infrastructure. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RetryType } from "../../../gen/flowgate/v1/flow_run_pb.js";
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

describe("flow retry (retries=1)", () => {
  it("turns the first failure into AwaitingRetry and accepts the second", async () => {
    const run = await h.newRun({ empiricalPolicy: { retries: 1, retryDelay: 0 } });
    await h.propose(run.id, { type: StateType.RUNNING });
    const failed = await h.propose(run.id, { type: StateType.FAILED, message: "boom" });
    expect(failed.status).toBe(SetStateStatus.REJECT);
    expect(reasonOf(failed)).toBe("Retrying");
    expect(failed.state?.type).toBe(StateType.SCHEDULED);
    expect(failed.state?.name).toBe("AwaitingRetry");
    expect(failed.state?.message).toBe("boom");
    expect((await h.get(run.id)).empiricalPolicy?.retryType).toBe(RetryType.IN_PROCESS);

    expect((await h.propose(run.id, { type: StateType.RUNNING })).status).toBe(
      SetStateStatus.ACCEPT,
    );
    expect((await h.get(run.id)).runCount).toBe(2);
    const final = await h.propose(run.id, { type: StateType.FAILED });
    expect(final.status).toBe(SetStateStatus.ACCEPT);
    const after = await h.get(run.id);
    expect(after.stateType).toBe(StateType.FAILED);
    expect(after.empiricalPolicy?.retryType).toBe(RetryType.UNSPECIFIED);
  });
});

describe("manual retry", () => {
  it("reschedules a failed deployed run and keeps its run count", async () => {
    const { flowId, deploymentId } = await h.newDeployment();
    const run = await h.newRun({ flowId, deploymentId });
    await h.propose(run.id, { type: StateType.RUNNING });
    await h.propose(run.id, { type: StateType.FAILED });
    const retried = await h.propose(run.id, { type: StateType.SCHEDULED, name: "AwaitingRetry" });
    expect(retried.status).toBe(SetStateStatus.ACCEPT);
    const after = await h.get(run.id);
    expect(after.runCount).toBe(1);
    expect(after.empiricalPolicy?.retryType).toBe(RetryType.RESCHEDULE);
  });

  it("refuses to reschedule a run without a deployment", async () => {
    const run = await h.newRun();
    await h.propose(run.id, { type: StateType.RUNNING });
    await h.propose(run.id, { type: StateType.FAILED });
    const refused = await h.propose(run.id, { type: StateType.SCHEDULED });
    expect(refused.status).toBe(SetStateStatus.ABORT);
    expect(reasonOf(refused)).toBe("Cannot reschedule a run without an associated deployment.");
    expect(refused.state?.type).toBe(StateType.FAILED); // ABORT answers the current state (spec §2.7)
  });
});

describe("cancellation", () => {
  it("cancels a scheduled run without infrastructure at once", async () => {
    const { flowId, deploymentId } = await h.newDeployment();
    const run = await h.newRun({ flowId, deploymentId, state: { type: StateType.SCHEDULED } });
    const result = await h.propose(run.id, { type: StateType.CANCELLING });
    expect(result.status).toBe(SetStateStatus.REJECT);
    expect(reasonOf(result)).toBe("Scheduled flow run has no infrastructure to terminate.");
    expect(result.state?.type).toBe(StateType.CANCELLED);
  });

  it("goes through CANCELLING when infrastructure must be stopped, and only to CANCELLED", async () => {
    const run = await h.newRun({ infrastructurePid: "pid-7" });
    await h.propose(run.id, { type: StateType.RUNNING });
    expect((await h.propose(run.id, { type: StateType.CANCELLING })).status).toBe(
      SetStateStatus.ACCEPT,
    );
    const back = await h.propose(run.id, { type: StateType.RUNNING });
    expect(back.status).toBe(SetStateStatus.REJECT);
    expect(reasonOf(back)).toBe(
      "Cannot transition flows that are cancelling to a state other than Cancelled.",
    );
    expect(back.state?.type).toBe(StateType.CANCELLING);
    expect((await h.propose(run.id, { type: StateType.CANCELLED })).status).toBe(
      SetStateStatus.ACCEPT,
    );
    const terminal = await h.propose(run.id, { type: StateType.CANCELLING });
    expect(terminal.status).toBe(SetStateStatus.ABORT);
    expect(reasonOf(terminal)).toBe("Run is already in terminal state CANCELLED.");
  });
});

describe("duplicate transitions", () => {
  it("rejects a replay with the same transition_id and writes nothing", async () => {
    const run = await h.newRun();
    const proposal = { type: StateType.RUNNING, stateDetails: { transitionId: "t-1" } };
    expect((await h.propose(run.id, proposal)).status).toBe(SetStateStatus.ACCEPT);
    const replay = await h.propose(run.id, proposal);
    expect(replay.status).toBe(SetStateStatus.REJECT);
    expect(reasonOf(replay)).toBe("This run has already made this state transition.");
    expect((await h.runs.listFlowRunStates({ flowRunId: run.id })).states).toHaveLength(2);
  });
});
