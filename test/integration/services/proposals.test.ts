/**
 * A candidate is a hint from an unlocked read: the proposal is kept only if the run is still
 * in the state it was selected in, and a run deleted meanwhile is ignored.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { proposeInState } from "../../../src/services/proposals.ts";
import { type Bench, openBench } from "./support.ts";

let bench: Bench;
beforeAll(async () => {
  bench = await openBench();
});
afterAll(() => bench.close());

it("rolls back a forced proposal when the run left the selected state (a pause resumed meanwhile)", async () => {
  const runId = await bench.newRun({ type: "RUNNING" });
  bench.clock.advance(1);
  await bench.flowRuns.setState({
    flowRunId: runId,
    state: { type: "PAUSED", stateDetails: { pauseTimeout: bench.clock.fromNow(10) } },
    force: false,
  });
  const selected = { flowRunId: runId, stateId: (await bench.run(runId)).state_id };
  bench.clock.advance(1);
  await bench.flowRuns.setState({ flowRunId: runId, state: { type: "RUNNING" }, force: false });
  const resumed = await bench.run(runId);

  const outcome = await proposeInState(bench.flowRuns, selected, {
    state: { type: "FAILED" },
    force: true,
  });
  expect(outcome).toBe("moved");
  expect(await bench.run(runId)).toEqual(resumed);
  const [row] = await bench.db.query<{ n: number }>(
    `select count(*)::int as n from flow_run_state where flow_run_id = $1 and type = 'FAILED'`,
    [runId],
  );
  expect(row?.n).toBe(0);
});

it("proposes when the run is still in the selected state", async () => {
  const runId = await bench.newRun({ type: "RUNNING" });
  const selected = { flowRunId: runId, stateId: (await bench.run(runId)).state_id };
  bench.clock.advance(1);
  const outcome = await proposeInState(bench.flowRuns, selected, {
    state: { type: "FAILED" },
    force: true,
  });
  expect(typeof outcome === "string" ? outcome : outcome.status).toBe("ACCEPT");
  expect(await bench.run(runId)).toMatchObject({ state_type: "FAILED" });
});

it("ignores a run that no longer exists", async () => {
  const outcome = await proposeInState(
    bench.flowRuns,
    { flowRunId: crypto.randomUUID(), stateId: crypto.randomUUID() },
    { state: { type: "FAILED" }, force: true },
  );
  expect(outcome).toBe("gone");
});
