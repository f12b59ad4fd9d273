/** dry_run: the full policy runs in a transaction that is rolled back; nothing persists. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { SetStateStatus } from "../../../gen/flowgate/v1/orchestration_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { flowRunHelpers, reasonOf, scheduledNow } from "../../support/flow-runs.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";
import { taskRunHelpers } from "../../support/task-runs.ts";

let server: TestServer;
let h: ReturnType<typeof flowRunHelpers>;
beforeAll(async () => {
  server = await startTestServer({ FLOWGATE_BACKGROUND_SERVICES: "false" });
  h = flowRunHelpers(server);
});
afterAll(() => server.stop());

async function footprint(runId: string) {
  const [row] = await server.database.query<Record<string, number>>(
    `select (select count(*)::int from flow_run_state where flow_run_id = $1) as states,
            (select count(*)::int from event where resource_id = $1) as events,
            (select count(*)::int from concurrency_lease) as leases,
            (select coalesce(sum(active_slots), 0)::int from concurrency_limit_v2) as slots,
            (select state_type from flow_run where id = $1) as state_type`,
    [runId],
  );
  return row;
}

it("answers what would happen and leaves no state, slot, lease or event", async () => {
  const { flowId, deploymentId } = await h.newDeployment({ concurrencyLimit: 1 });
  const run = await h.newRun({ flowId, deploymentId, state: scheduledNow() });
  const before = await footprint(run.id);
  const { result } = await h.runs.setFlowRunState({
    flowRunId: run.id,
    state: { type: StateType.PENDING },
    dryRun: true,
  });
  expect(result?.status).toBe(SetStateStatus.ACCEPT);
  expect(result?.state?.stateDetails?.deploymentConcurrencyLeaseId).not.toBe("");
  expect(result?.context?.ruleSignature).toContain("SecureFlowConcurrencySlots");
  expect(await footprint(run.id)).toEqual(before);
  // The real call still gets the slot the dry run only pretended to take.
  expect((await h.propose(run.id, { type: StateType.PENDING })).status).toBe(SetStateStatus.ACCEPT);
});

it("explains a rejection without making it", async () => {
  const run = await h.newRun();
  await h.propose(run.id, { type: StateType.RUNNING });
  const before = await footprint(run.id);
  const { result } = await h.runs.setFlowRunState({
    flowRunId: run.id,
    state: { type: StateType.PENDING },
    dryRun: true,
  });
  expect(result?.status).toBe(SetStateStatus.ABORT);
  expect(reasonOf(result!)).toBe(
    "This run is in a RUNNING state and cannot transition to a PENDING state.",
  );
  expect(await footprint(run.id)).toEqual(before);
});

it("works for task runs too", async () => {
  const t = taskRunHelpers(server);
  const task = await t.newTask({ flowRunId: await t.newFlowRun() });
  const { result } = await t.tasks.setTaskRunState({
    taskRunId: task.id,
    state: { type: StateType.RUNNING },
    dryRun: true,
  });
  expect(result?.status).toBe(SetStateStatus.ACCEPT);
  const rows = await server.database.query(
    "select type from task_run_state where task_run_id = $1",
    [task.id],
  );
  expect(rows).toEqual([{ type: "PENDING" }]);
});
