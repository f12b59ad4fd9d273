/**
 * Two replicas (two service instances, each with its own advisory-lock session) racing the
 * same tick: one takes the lock and does the work, the other skips; work is never done twice.
 */
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { LATE_RUNS_LOCK_KEY, MarkLateRuns, type TickResult } from "../../../src/services/index.ts";
import { advisoryHolders, type Bench, eventually, log, openBench } from "./support.ts";

let bench: Bench;
let replicaA: MarkLateRuns;
let replicaB: MarkLateRuns;
beforeAll(async () => {
  bench = await openBench();
  const replica = () =>
    new MarkLateRuns({
      flowRuns: bench.flowRuns,
      queries: bench.queries,
      locks: bench.newLocks(),
      clock: bench.clock,
      log,
      loopSeconds: 5,
      afterSeconds: 15,
    });
  replicaA = replica();
  replicaB = replica();
});
afterAll(() => bench.close());

function overdueRun(): Promise<string> {
  return bench.newRun({
    type: "SCHEDULED",
    stateDetails: { scheduledTime: bench.clock.fromNow(-60) },
  });
}

async function lateStates(): Promise<number> {
  const [row] = await bench.db.query<{ n: number }>(
    `select count(*)::int as n from flow_run_state where name = 'Late'`,
  );
  return row!.n;
}

it("lets only the replica holding the advisory lock work; the other skips its tick", async () => {
  const runId = await overdueRun();
  // Hold the run's row so replica A's tick stays inside its advisory lock until released.
  const blocker = new pg.Client({ connectionString: bench.db.url });
  await blocker.connect();
  try {
    await blocker.query("begin");
    await blocker.query("select id from flow_run where id = $1 for update", [runId]);
    const tickA = replicaA.runOnce();
    await eventually(async () => (await advisoryHolders(bench.db, LATE_RUNS_LOCK_KEY)) === 1);

    expect(await replicaB.runOnce()).toEqual({ status: "skipped", reason: "locked" });
    expect(await replicaA.runOnce()).toEqual({ status: "skipped", reason: "busy" }); // no self-overlap
    expect(await advisoryHolders(bench.db, LATE_RUNS_LOCK_KEY)).toBe(1);

    await blocker.query("commit");
    expect(await tickA).toEqual({ status: "ran", processed: 1 });
  } finally {
    await blocker.end();
  }
  // The lock is released with the tick: the other replica can take the next one.
  expect(await advisoryHolders(bench.db, LATE_RUNS_LOCK_KEY)).toBe(0);
  expect(await replicaB.runOnce()).toEqual({ status: "ran", processed: 0 });
  expect(await bench.run(runId)).toMatchObject({ state_name: "Late" });
});

it("marks each run Late exactly once when both replicas tick at the same moment", async () => {
  const before = await lateStates();
  const runs = await Promise.all(Array.from({ length: 20 }, overdueRun));
  const results: TickResult[] = await Promise.all([replicaA.runOnce(), replicaB.runOnce()]);
  const processed = results.reduce((sum, r) => sum + (r.status === "ran" ? r.processed : 0), 0);
  expect(processed).toBe(20);
  expect((await lateStates()) - before).toBe(20);
  for (const runId of runs) expect(await bench.run(runId)).toMatchObject({ state_name: "Late" });
});
