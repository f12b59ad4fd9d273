import { afterAll, beforeAll, expect, it } from "vitest";
import { uuidv7Ids } from "../../../src/application/system.ts";
import { CANCELLING_TIMEOUT_MESSAGE, CancelStaleCancelling } from "../../../src/services/index.ts";
import { type Bench, log, openBench } from "./support.ts";

let bench: Bench;
let service: CancelStaleCancelling;
const issuedIds: string[] = [];
beforeAll(async () => {
  bench = await openBench();
  service = new CancelStaleCancelling({
    flowRuns: bench.flowRuns,
    queries: bench.queries,
    locks: bench.newLocks(),
    clock: bench.clock,
    ids: {
      newId() {
        const id = uuidv7Ids.newId();
        issuedIds.push(id);
        return id;
      },
    },
    log,
    loopSeconds: 20,
    cancellingTimeoutSeconds: 300,
  });
});
afterAll(() => bench.close());

/** A run with infrastructure (so it stays CANCELLING) asked to cancel at the returned time. */
async function cancellingRun(): Promise<{ runId: string; since: Date }> {
  const runId = await bench.newRun({ type: "RUNNING" }, { infrastructurePid: "pid-42" });
  bench.clock.advance(1); // a state timestamp of its own, not bumped past the RUNNING one
  const result = await bench.flowRuns.setState({
    flowRunId: runId,
    state: { type: "CANCELLING" },
    force: false,
  });
  expect(result.status).toBe("ACCEPT");
  return { runId, since: result.state!.timestamp };
}

function secondsAfter(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

it("cancels a run CANCELLING for cancelling_timeout_seconds, with the state id chosen beforehand", async () => {
  const { runId: stale, since } = await cancellingRun();
  bench.clock.advance(100);
  const { runId: younger, since: youngerSince } = await cancellingRun();

  bench.clock.set(secondsAfter(since, 299.999));
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 0 });
  bench.clock.set(secondsAfter(since, 300));
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 1 });

  const run = await bench.run(stale);
  expect(run).toMatchObject({ state_type: "CANCELLED", state_name: "Cancelled" });
  expect(issuedIds).toContain(run.state_id);
  const [state] = await bench.db.query<{ message: string }>(
    `select message from flow_run_state where id = $1`,
    [run.state_id],
  );
  expect(state?.message).toBe(CANCELLING_TIMEOUT_MESSAGE);
  expect(await bench.run(younger)).toMatchObject({ state_type: "CANCELLING" });

  bench.clock.set(secondsAfter(youngerSince, 300));
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 1 });
  expect(await bench.run(younger)).toMatchObject({ state_type: "CANCELLED" });
});
