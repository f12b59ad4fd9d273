/** Spec §6, "Deployed flow, happy path" with a deployment limit of 1, over gRPC. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { SetStateStatus } from "../../../gen/flowgate/v1/orchestration_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { flowRunHelpers, reasonOf, scheduledNow } from "../../support/flow-runs.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";

let server: TestServer;
let h: ReturnType<typeof flowRunHelpers>;
beforeAll(async () => {
  server = await startTestServer();
  h = flowRunHelpers(server);
});
afterAll(() => server.stop());

async function slots(deploymentId: string) {
  const [row] = await server.database.query<{ active: number; leases: number }>(
    `select l.active_slots as active,
       (select count(*)::int from concurrency_lease c where l.id = any(c.resource_ids)) as leases
     from deployment d join concurrency_limit_v2 l on l.id = d.concurrency_limit_id where d.id = $1`,
    [deploymentId],
  );
  return row;
}

it("takes the only slot, makes a second run wait, and frees the slot on completion", async () => {
  const { flowId, deploymentId } = await h.newDeployment({ concurrencyLimit: 1 });
  const first = await h.newRun({ flowId, deploymentId, state: scheduledNow() });
  const second = await h.newRun({ flowId, deploymentId, state: scheduledNow() });
  expect(first.stateType).toBe(StateType.SCHEDULED);
  expect(first.expectedStartTime).toBeDefined();

  const pending = await h.propose(first.id, { type: StateType.PENDING });
  expect(pending.status).toBe(SetStateStatus.ACCEPT);
  const leaseId = pending.state?.stateDetails?.deploymentConcurrencyLeaseId;
  expect(leaseId).toMatch(/^[0-9a-f-]{36}$/);
  expect(pending.state?.stateDetails?.scheduledTime).toBeDefined(); // CopyScheduledTime
  expect(await slots(deploymentId)).toEqual({ active: 1, leases: 1 });

  const blocked = await h.propose(second.id, { type: StateType.PENDING });
  expect(blocked.status).toBe(SetStateStatus.REJECT);
  expect(blocked.details).toEqual({
    case: "reject",
    value: expect.objectContaining({ reason: "Deployment concurrency limit reached." }),
  });
  expect(blocked.state?.type).toBe(StateType.SCHEDULED);
  expect(blocked.state?.name).toBe("AwaitingConcurrencySlot");
  expect(await slots(deploymentId)).toEqual({ active: 1, leases: 1 });

  const running = await h.propose(first.id, { type: StateType.RUNNING });
  expect(running.status).toBe(SetStateStatus.ACCEPT);
  expect(running.state?.stateDetails?.deploymentConcurrencyLeaseId).toBe(leaseId);
  const afterRunning = await h.get(first.id);
  expect(afterRunning.runCount).toBe(1);
  expect(afterRunning.startTime).toBeDefined();
  expect(afterRunning.nextScheduledStartTime).toBeUndefined();

  const completed = await h.propose(first.id, {
    type: StateType.COMPLETED,
    data: { kind: { case: "numberValue", value: 42 } },
  });
  expect(completed.status).toBe(SetStateStatus.ACCEPT);
  expect(completed.state?.stateDetails?.deploymentConcurrencyLeaseId).toBe(leaseId);
  expect(await slots(deploymentId)).toEqual({ active: 0, leases: 0 });
  const done = await h.get(first.id);
  expect(done.endTime).toBeDefined();
  expect(done.stateType).toBe(StateType.COMPLETED);

  // The waiting run gets the freed slot (its AwaitingConcurrencySlot time is 30 s ahead,
  // which only matters for RUNNING).
  expect((await h.propose(second.id, { type: StateType.PENDING })).status).toBe(
    SetStateStatus.ACCEPT,
  );
  expect(await slots(deploymentId)).toEqual({ active: 1, leases: 1 });
});

it("reports the policy, rule signature and events of a transition", async () => {
  const run = await h.newRun();
  const result = await h.propose(run.id, { type: StateType.RUNNING });
  expect(result.context?.policy).toBe("CoreFlowPolicy");
  expect(result.context?.ruleSignature).toEqual(
    expect.arrayContaining(["PreventDuplicateTransitions", "SetRunStateType"]),
  );
  expect(result.context?.initialState?.type).toBe(StateType.PENDING);
  expect(result.context?.validatedState?.id).toBe(result.state?.id);
  const events = await server.database.query<{ event: string }>(
    "select event from event where resource_id = $1 order by seq",
    [run.id],
  );
  expect(events.map((e) => e.event)).toEqual([
    "prefect.flow-run.Pending",
    "prefect.flow-run.Running",
  ]);
});

it("uses the minimal policy with force", async () => {
  const run = await h.newRun();
  await h.propose(run.id, { type: StateType.RUNNING });
  const forced = await h.propose(run.id, { type: StateType.PENDING }, true);
  expect(forced.status).toBe(SetStateStatus.ACCEPT);
  expect(forced.context?.policy).toBe("MinimalFlowPolicy");
  const refused = await h.propose(run.id, { type: StateType.PENDING });
  expect(refused.status).toBe(SetStateStatus.ABORT);
  expect(reasonOf(refused)).toBe(
    "This run is in a PENDING state and cannot transition to a PENDING state.",
  );
});
