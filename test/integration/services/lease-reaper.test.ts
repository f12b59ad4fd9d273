import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ReapExpiredLeases } from "../../../src/services/index.ts";
import { type Bench, log, openBench } from "./support.ts";

let bench: Bench;
let service: ReapExpiredLeases;
beforeAll(async () => {
  bench = await openBench();
  service = new ReapExpiredLeases({
    reaper: bench.reaper,
    locks: bench.newLocks(),
    clock: bench.clock,
    log,
    loopSeconds: 5,
  });
});
afterAll(() => bench.close());

async function limitRow(limitId: string) {
  const [row] = await bench.db.query<{ active_slots: number; leases: number; avg: number }>(
    `select active_slots, avg_slot_occupancy_seconds as avg,
       (select count(*)::int from concurrency_lease where $1::uuid = any(resource_ids)) as leases
     from concurrency_limit_v2 where id = $1`,
    [limitId],
  );
  return row!;
}

async function claim(runId: string) {
  bench.clock.advance(1);
  return bench.flowRuns.setState({ flowRunId: runId, state: { type: "PENDING" }, force: false });
}

it("frees an expired lease's slot, keeps live leases, and leaves active_slots == live leases", async () => {
  const { flowId, deploymentId, limitId } = await bench.newDeployment(2);
  const scheduled = {
    type: "SCHEDULED" as const,
    stateDetails: { scheduledTime: bench.clock.now() },
  };
  const [first, second, third] = [
    await bench.newRun(scheduled, { flowId, deploymentId }),
    await bench.newRun(scheduled, { flowId, deploymentId }),
    await bench.newRun(scheduled, { flowId, deploymentId }),
  ] as const;

  expect((await claim(first)).status).toBe("ACCEPT"); // lease until +300 s (initial lease duration)
  const firstClaimedAt = bench.clock.now();
  bench.clock.advance(200);
  expect((await claim(second)).status).toBe("ACCEPT");
  expect((await claim(third)).state?.name).toBe("AwaitingConcurrencySlot"); // the limit is full
  expect(await limitRow(limitId)).toMatchObject({ active_slots: 2, leases: 2 });

  // The first lease expires at exactly +300 s: not yet reaped then (expiration < now).
  bench.clock.set(new Date(firstClaimedAt.getTime() + 300_000));
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 0 });
  bench.clock.advance(1);
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 1 });

  const after = await limitRow(limitId);
  expect(after).toMatchObject({ active_slots: 1, leases: 1 });
  // Occupancy 301 s over one slot moves the average from 2 by (301 − 2) / (limit × 2).
  expect(after.avg).toBeCloseTo(2 + (301 - 2) / 4, 6);
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 0 });

  // The freed slot is usable again.
  const retried = await bench.flowRuns.setState({
    flowRunId: third,
    state: { type: "PENDING" },
    force: false,
  });
  expect(retried.status).toBe("ACCEPT");
  expect(await limitRow(limitId)).toMatchObject({ active_slots: 2, leases: 2 });

  // The run whose lease was reaped finishes: nothing is released twice.
  bench.clock.advance(1);
  await bench.flowRuns.setState({ flowRunId: first, state: { type: "CRASHED" }, force: true });
  const settled = await limitRow(limitId);
  expect(settled.active_slots).toBe(settled.leases);
  expect(settled.active_slots).toBe(2);
});

it("gives back slots on every limit a lease names, by its slot count, and skips limits that are gone", async () => {
  const limits = Array.from({ length: 2 }, () => crypto.randomUUID()).sort();
  for (const id of limits) {
    await bench.db.query(
      `insert into concurrency_limit_v2 (id, name, "limit", active_slots, updated) values ($1, $2, 10, 5, $3)`,
      [id, `limit-${id}`, bench.clock.now()],
    );
  }
  const gone = crypto.randomUUID();
  await bench.db.query(
    `insert into concurrency_lease (id, resource_ids, expiration, created_at, slots) values ($1, $2::uuid[], $3, $4, 3)`,
    [crypto.randomUUID(), [...limits, gone], bench.clock.fromNow(-1), bench.clock.fromNow(-61)],
  );
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 1 });
  const rows = await bench.db.query<{ active_slots: number }>(
    `select active_slots from concurrency_limit_v2 where id = any($1::uuid[]) order by id`,
    [limits],
  );
  expect(rows.map((r) => r.active_slots)).toEqual([2, 2]);
});

it("skips a lease a transition holds locked (it is releasing or renewing it) and reaps it afterwards", async () => {
  const limitId = crypto.randomUUID();
  await bench.db.query(
    `insert into concurrency_limit_v2 (id, name, "limit", active_slots, updated) values ($1, $2, 1, 1, $3)`,
    [limitId, `limit-${limitId}`, bench.clock.now()],
  );
  const leaseId = crypto.randomUUID();
  await bench.db.query(
    `insert into concurrency_lease (id, resource_ids, expiration, created_at, slots) values ($1, $2::uuid[], $3, $4, 1)`,
    [leaseId, [limitId], bench.clock.fromNow(-1), bench.clock.fromNow(-10)],
  );
  const transition = new pg.Client({ connectionString: bench.db.url });
  await transition.connect();
  try {
    await transition.query("begin");
    await transition.query("select id from concurrency_lease where id = $1 for update", [leaseId]);
    expect(await service.runOnce()).toEqual({ status: "ran", processed: 0 });
    await transition.query("commit");
  } finally {
    await transition.end();
  }
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 1 });
  expect(await limitRow(limitId)).toMatchObject({ active_slots: 0, leases: 0 });
});
