/** FlowRunService and lease renewal: errors with the right status and field, idempotency, listing. */
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConcurrencyLimitService } from "../../../gen/flowgate/v1/concurrency_limit_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { BadRequestSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { flowRunHelpers, scheduledNow } from "../../support/flow-runs.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";

let server: TestServer;
let h: ReturnType<typeof flowRunHelpers>;
beforeAll(async () => {
  server = await startTestServer();
  h = flowRunHelpers(server);
});
afterAll(() => server.stop());

const UNKNOWN = "00000000-0000-4000-8000-000000000000";

async function failure(
  promise: Promise<unknown>,
): Promise<{ code: Code; field: string | undefined }> {
  const error = await promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => e,
  );
  if (!(error instanceof ConnectError)) throw error;
  return {
    code: error.code,
    field: error.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field,
  };
}

describe("errors", () => {
  it("answers NOT_FOUND for unknown runs, flows and deployments (§8.3.8 for resume)", async () => {
    expect((await failure(h.runs.getFlowRun({ flowRunId: UNKNOWN }))).code).toBe(Code.NotFound);
    expect((await failure(h.propose(UNKNOWN, { type: StateType.RUNNING }))).code).toBe(
      Code.NotFound,
    );
    expect((await failure(h.runs.resumeFlowRun({ flowRunId: UNKNOWN }))).code).toBe(Code.NotFound);
    expect((await failure(h.runs.createFlowRun({ flowId: UNKNOWN }))).code).toBe(Code.NotFound);
    const flowId = await h.newFlow();
    expect((await failure(h.runs.createFlowRun({ flowId, deploymentId: UNKNOWN }))).code).toBe(
      Code.NotFound,
    );
  });

  it("answers INVALID_ARGUMENT naming the field", async () => {
    const run = await h.newRun();
    expect(await failure(h.runs.getFlowRun({ flowRunId: "nope" }))).toEqual({
      code: Code.InvalidArgument,
      field: "flow_run_id",
    });
    expect(await failure(h.runs.setFlowRunState({ flowRunId: run.id }))).toEqual({
      code: Code.InvalidArgument,
      field: "state",
    });
    expect(await failure(h.propose(run.id, { type: StateType.UNSPECIFIED }))).toEqual({
      code: Code.InvalidArgument,
      field: "state.type",
    });
    expect(
      await failure(
        h.propose(run.id, {
          type: StateType.RUNNING,
          stateDetails: { deploymentConcurrencyLeaseId: "x" },
        }),
      ),
    ).toEqual({
      code: Code.InvalidArgument,
      field: "state.state_details.deployment_concurrency_lease_id",
    });
    expect(
      await failure(h.runs.createFlowRun({ flowId: run.flowId, empiricalPolicy: { retries: -1 } })),
    ).toEqual({
      code: Code.InvalidArgument,
      field: "empirical_policy.retries",
    });
    expect(
      await failure(h.runs.createFlowRunInput({ flowRunId: run.id, key: "k", value: "{not json" })),
    ).toEqual({
      code: Code.InvalidArgument,
      field: "value",
    });
  });

  it("leaves no trace of a failed call", async () => {
    const run = await h.newRun();
    await failure(h.propose(run.id, { type: StateType.UNSPECIFIED }));
    const rows = await server.database.query(
      "select 1 from flow_run_state where flow_run_id = $1",
      [run.id],
    );
    expect(rows).toHaveLength(1);
  });
});

describe("CreateFlowRun", () => {
  it("is idempotent on flow and idempotency_key and does not re-apply the state", async () => {
    const flowId = await h.newFlow();
    const first = await h.runs.createFlowRun({
      flowId,
      idempotencyKey: "k-1",
      state: scheduledNow(),
    });
    const second = await h.runs.createFlowRun({
      flowId,
      idempotencyKey: "k-1",
      state: { type: StateType.RUNNING },
    });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.flowRun?.id).toBe(first.flowRun?.id);
    expect(second.flowRun?.stateType).toBe(StateType.SCHEDULED);
  });

  it("creates one run when 20 callers race with one idempotency key", async () => {
    const flowId = await h.newFlow();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => h.runs.createFlowRun({ flowId, idempotencyKey: "race" })),
    );
    expect(new Set(results.map((r) => r.flowRun?.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });
});

describe("ListFlowRuns and ListFlowRunStates", () => {
  it("filters by flow, state type and tags, a page at a time", async () => {
    const flowId = await h.newFlow();
    for (let i = 0; i < 5; i++) await h.newRun({ flowId, tags: i % 2 === 0 ? ["even"] : ["odd"] });
    const running = await h.newRun({ flowId, tags: ["even"] });
    await h.propose(running.id, { type: StateType.RUNNING });

    const ids: string[] = [];
    let pageToken = "";
    do {
      const page = await h.runs.listFlowRuns({ flowId, pageSize: 2, pageToken });
      ids.push(...page.flowRuns.map((r) => r.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);

    const even = await h.runs.listFlowRuns({ flowId, tags: ["even"] });
    expect(even.flowRuns).toHaveLength(4);
    const runningOnly = await h.runs.listFlowRuns({ flowId, stateTypes: [StateType.RUNNING] });
    expect(runningOnly.flowRuns.map((r) => r.id)).toEqual([running.id]);
    const states = await h.runs.listFlowRunStates({ flowRunId: running.id });
    expect(states.states.map((s) => s.type)).toEqual([StateType.PENDING, StateType.RUNNING]);
  });

  it("deletes a run with its states", async () => {
    const run = await h.newRun();
    await h.runs.deleteFlowRun({ flowRunId: run.id });
    expect((await failure(h.runs.getFlowRun({ flowRunId: run.id }))).code).toBe(Code.NotFound);
    expect(
      await server.database.query("select 1 from flow_run_state where flow_run_id = $1", [run.id]),
    ).toEqual([]);
  });
});

describe("RenewConcurrencyLease", () => {
  it("extends a deployment lease and answers NOT_FOUND for an unknown one", async () => {
    const limits = server.client(ConcurrencyLimitService);
    const { flowId, deploymentId } = await h.newDeployment({ concurrencyLimit: 1 });
    const run = await h.newRun({ flowId, deploymentId, state: scheduledNow() });
    const pending = await h.propose(run.id, { type: StateType.PENDING });
    const leaseId = pending.state!.stateDetails!.deploymentConcurrencyLeaseId;
    const renewed = await limits.renewConcurrencyLease({
      leaseId,
      leaseDuration: durationFromMs(600_000),
    });
    const expiresIn = Number(renewed.expiration!.seconds) * 1000 - Date.now();
    expect(expiresIn).toBeGreaterThan(590_000);
    expect(expiresIn).toBeLessThan(610_000);
    expect(
      (
        await failure(
          limits.renewConcurrencyLease({ leaseId: UNKNOWN, leaseDuration: durationFromMs(1000) }),
        )
      ).code,
    ).toBe(Code.NotFound);
    expect((await failure(limits.renewConcurrencyLease({ leaseId }))).field).toBe("lease_duration");
  });
});
