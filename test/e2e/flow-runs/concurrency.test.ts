/**
 * Races with real concurrent gRPC calls against PostgreSQL. The invariants are asserted
 * from the database: one accept per race, and active slots == live leases.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

async function slotAccounting(deploymentId: string) {
  const [row] = await server.database.query<{ active: number; limit: number; leases: number }>(
    `select l.active_slots as active, l."limit" as limit,
       (select count(*)::int from concurrency_lease c where l.id = any(c.resource_ids)) as leases
     from deployment d join concurrency_limit_v2 l on l.id = d.concurrency_limit_id where d.id = $1`,
    [deploymentId],
  );
  return row!;
}

describe("racing proposals for one run", () => {
  it("accepts exactly one of 50 concurrent PENDING → RUNNING replays", async () => {
    const run = await h.newRun();
    const proposal = { type: StateType.RUNNING, stateDetails: { transitionId: "worker-1-start" } };
    const results = await Promise.all(
      Array.from({ length: 50 }, () => h.propose(run.id, proposal)),
    );
    const accepted = results.filter((r) => r.status === SetStateStatus.ACCEPT);
    expect(accepted).toHaveLength(1);
    for (const other of results.filter((r) => r.status !== SetStateStatus.ACCEPT)) {
      expect(other.status).toBe(SetStateStatus.REJECT);
      expect(reasonOf(other)).toBe("This run has already made this state transition.");
      expect(other.state?.id).toBe(accepted[0]!.state?.id);
    }
    const rows = await server.database.query<{ type: string }>(
      "select type from flow_run_state where flow_run_id = $1 order by timestamp",
      [run.id],
    );
    expect(rows.map((r) => r.type)).toEqual(["PENDING", "RUNNING"]);
    expect((await h.get(run.id)).runCount).toBe(1);
  });

  it("serializes 20 concurrent distinct proposals: each sees the state the previous one wrote", async () => {
    const run = await h.newRun();
    await h.propose(run.id, { type: StateType.RUNNING });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        h.propose(run.id, { type: StateType.RUNNING, name: `step-${i}` }),
      ),
    );
    expect(results.every((r) => r.status === SetStateStatus.ACCEPT)).toBe(true);
    // Every accepted transition's initial state is the previous accepted state: a chain, no fork.
    const initials = new Set(results.map((r) => r.context?.initialState?.id));
    expect(initials.size).toBe(20);
    const states = await server.database.query(
      "select 1 from flow_run_state where flow_run_id = $1",
      [run.id],
    );
    expect(states).toHaveLength(22);
  });
});

describe("racing runs for a deployment limit", () => {
  it("lets at most 3 of 200 runs hold a slot of a limit of 3, and keeps slots == leases", async () => {
    const { flowId, deploymentId } = await h.newDeployment({ concurrencyLimit: 3 });
    const runs = await Promise.all(
      Array.from({ length: 200 }, () => h.newRun({ flowId, deploymentId, state: scheduledNow() })),
    );
    const results = await Promise.all(
      runs.map((run) => h.propose(run.id, { type: StateType.PENDING })),
    );
    const accepted = results.filter((r) => r.status === SetStateStatus.ACCEPT);
    expect(accepted).toHaveLength(3);
    for (const waiting of results.filter((r) => r.status !== SetStateStatus.ACCEPT)) {
      expect(waiting.status).toBe(SetStateStatus.REJECT);
      expect(waiting.state?.name).toBe("AwaitingConcurrencySlot");
    }
    expect(await slotAccounting(deploymentId)).toEqual({ active: 3, limit: 3, leases: 3 });

    // The holders finish concurrently with a new wave of contenders: never more than 3.
    const holders = runs.filter((_, i) => results[i]!.status === SetStateStatus.ACCEPT);
    const waiting = runs
      .filter((_, i) => results[i]!.status !== SetStateStatus.ACCEPT)
      .slice(0, 50);
    const wave = await Promise.all([
      ...holders.map(async (run) => {
        await h.propose(run.id, { type: StateType.RUNNING });
        return h.propose(run.id, { type: StateType.COMPLETED });
      }),
      ...waiting.map((run) => h.propose(run.id, { type: StateType.PENDING })),
    ]);
    const after = await slotAccounting(deploymentId);
    expect(after.active).toBeLessThanOrEqual(3);
    expect(after.active).toBe(after.leases);
    const newHolders = wave.slice(holders.length).filter((r) => r.status === SetStateStatus.ACCEPT);
    expect(newHolders.length).toBe(after.active);
    const pendingRuns = await server.database.query<{ n: number }>(
      "select count(*)::int as n from flow_run where deployment_id = $1 and state_type = 'PENDING'",
      [deploymentId],
    );
    expect(pendingRuns[0]!.n).toBe(after.active);
  });
});
