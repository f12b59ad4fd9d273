import { afterAll, beforeAll, expect, it } from "vitest";
import { MarkLateRuns } from "../../../src/services/index.ts";
import { type Bench, log, openBench } from "./support.ts";

let bench: Bench;
let service: MarkLateRuns;
beforeAll(async () => {
  bench = await openBench();
  service = new MarkLateRuns({
    flowRuns: bench.flowRuns,
    queries: bench.queries,
    locks: bench.newLocks(),
    clock: bench.clock,
    log,
    loopSeconds: 5,
    afterSeconds: 15,
  });
});
afterAll(() => bench.close());

function scheduledAt(secondsFromNow: number) {
  return {
    type: "SCHEDULED" as const,
    stateDetails: { scheduledTime: bench.clock.fromNow(secondsFromNow) },
  };
}

it("marks a Scheduled run Late once its start time is more than after_seconds past, and leaves the others", async () => {
  const overdue = await bench.newRun(scheduledAt(-60));
  const withinGrace = await bench.newRun(scheduledAt(-10));
  const future = await bench.newRun(scheduledAt(60));

  expect(await service.runOnce()).toEqual({ status: "ran", processed: 1 });

  expect(await bench.run(overdue)).toMatchObject({ state_type: "SCHEDULED", state_name: "Late" });
  const [late] = await bench.db.query<{ details: { scheduledTime: string } }>(
    `select s.state_details as details from flow_run fr join flow_run_state s on s.id = fr.state_id where fr.id = $1`,
    [overdue],
  );
  expect(late?.details.scheduledTime).toBe(bench.clock.fromNow(-60).toISOString());
  expect(await bench.run(withinGrace)).toMatchObject({ state_name: "Scheduled" });
  expect(await bench.run(future)).toMatchObject({ state_name: "Scheduled" });
});

it("marks a run exactly once: a second tick finds nothing to do", async () => {
  const runId = await bench.newRun(scheduledAt(-3600));
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 1 });
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 0 });
  const [row] = await bench.db.query<{ n: number }>(
    `select count(*)::int as n from flow_run_state where flow_run_id = $1 and name = 'Late'`,
    [runId],
  );
  expect(row?.n).toBe(1);
});

it("picks a run up once the clock passes its start time plus after_seconds", async () => {
  const runId = await bench.newRun(scheduledAt(100));
  bench.clock.advance(114.999);
  expect(await service.runOnce()).toMatchObject({ status: "ran" });
  expect(await bench.run(runId)).toMatchObject({ state_name: "Scheduled" });
  bench.clock.advance(0.001);
  expect(await service.runOnce()).toMatchObject({ status: "ran" });
  expect(await bench.run(runId)).toMatchObject({ state_name: "Late" });
});

it("goes through MarkLateRunsPolicy: a full CANCEL_NEW deployment cancels the late run instead", async () => {
  const { flowId, deploymentId, limitId } = await bench.newDeployment(1);
  await bench.db.query(
    `update deployment set concurrency_options = '{"collisionStrategy":"CANCEL_NEW"}' where id = $1`,
    [deploymentId],
  );
  await bench.db.query(`update concurrency_limit_v2 set active_slots = 1 where id = $1`, [limitId]);
  const runId = await bench.newRun(scheduledAt(-60), { flowId, deploymentId });
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 1 });
  expect(await bench.run(runId)).toMatchObject({ state_type: "CANCELLED" });
});
