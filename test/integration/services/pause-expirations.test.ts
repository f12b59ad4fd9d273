import { afterAll, beforeAll, expect, it } from "vitest";
import { FailExpiredPauses, PAUSE_EXPIRED_MESSAGE } from "../../../src/services/index.ts";
import { type Bench, log, openBench } from "./support.ts";

let bench: Bench;
let service: FailExpiredPauses;
beforeAll(async () => {
  bench = await openBench();
  service = new FailExpiredPauses({
    flowRuns: bench.flowRuns,
    queries: bench.queries,
    locks: bench.newLocks(),
    clock: bench.clock,
    log,
    loopSeconds: 5,
  });
});
afterAll(() => bench.close());

/** A run paused now, with a timeout `timeoutSeconds` from now (none when omitted). */
async function pausedRun(timeoutSeconds?: number): Promise<string> {
  const runId = await bench.newRun({ type: "RUNNING" });
  const pauseTimeout =
    timeoutSeconds === undefined ? undefined : bench.clock.fromNow(timeoutSeconds);
  const result = await bench.flowRuns.setState({
    flowRunId: runId,
    state: { type: "PAUSED", stateDetails: pauseTimeout === undefined ? {} : { pauseTimeout } },
    force: false,
  });
  expect(result.status).toBe("ACCEPT");
  return runId;
}

it("fails a paused run whose pause timed out, by force, and leaves unexpired pauses alone", async () => {
  const expiring = await pausedRun(60);
  const later = await pausedRun(600);
  const forever = await pausedRun();

  expect(await service.runOnce()).toEqual({ status: "ran", processed: 0 });
  bench.clock.advance(61);
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 1 });

  expect(await bench.run(expiring)).toMatchObject({ state_type: "FAILED", state_name: "Failed" });
  const [state] = await bench.db.query<{ message: string }>(
    `select s.message from flow_run fr join flow_run_state s on s.id = fr.state_id where fr.id = $1`,
    [expiring],
  );
  expect(state?.message).toBe(PAUSE_EXPIRED_MESSAGE);
  expect(await bench.run(later)).toMatchObject({ state_type: "PAUSED" });
  expect(await bench.run(forever)).toMatchObject({ state_type: "PAUSED" });
});

it("does not fail a pause whose timeout is exactly now (strictly before now expires)", async () => {
  const runId = await pausedRun(30);
  bench.clock.advance(30);
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 0 });
  bench.clock.advance(0.001);
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 1 });
  expect(await bench.run(runId)).toMatchObject({ state_type: "FAILED" });
});
