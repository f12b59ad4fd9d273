import { describe, expect, it } from "vitest";
import type { JsonValue, StateType } from "../../../src/domain/index.ts";
import { HandleTaskTerminalStateTransitions } from "../../../src/orchestration/index.ts";
import { makeState } from "./support.ts";
import { FakeTaskDeps, makeTaskRun, runTask, taskEndingRule } from "./task-support.ts";

const rules = [HandleTaskTerminalStateTransitions];

describe("HandleTaskTerminalStateTransitions", () => {
  it.each<{ from: StateType; to: StateType }>([
    { from: "COMPLETED", to: "CANCELLING" },
    { from: "FAILED", to: "PAUSED" },
    { from: "CANCELLED", to: "CRASHED" },
    { from: "CRASHED", to: "CANCELLING" },
  ])("$from → $to → ABORT 'Run is already $from.'", async ({ from, to }) => {
    const result = await runTask({ initial: makeState(from), proposed: makeState(to), rules });
    expect(result.status).toBe("ABORT");
    expect(result.details).toEqual({ type: "abort_details", reason: `Run is already ${from}.` });
  });

  it.each<{ name: string; to: StateType; data: JsonValue }>([
    { name: "RUNNING, persisted result", to: "RUNNING", data: { type: "reference" } },
    { name: "COMPLETED, persisted result", to: "COMPLETED", data: { type: "reference" } },
    { name: "FAILED, dict without type", to: "FAILED", data: { value: 1 } },
  ])("COMPLETED → $name → REJECT 'This run is already completed.'", async ({ to, data }) => {
    const run = makeTaskRun({ runCount: 2 });
    const result = await runTask({
      initial: makeState("COMPLETED", { data }),
      proposed: makeState(to),
      run,
      rules,
    });
    expect(result.status).toBe("REJECT");
    expect(result.details).toEqual({
      type: "reject_details",
      reason: "This run is already completed.",
    });
    expect(result.state?.type).toBe("COMPLETED");
    expect(run.runCount).toBe(2);
  });

  it.each<{ name: string; data: JsonValue }>([
    { name: "a scalar", data: 42 },
    { name: "a string", data: "result" },
    { name: "a list", data: [1, 2] },
    { name: "an unpersisted result", data: { type: "unpersisted" } },
    { name: "no data", data: null },
  ])("§8.3.1 COMPLETED with $name → RUNNING is allowed (no crash)", async ({ data }) => {
    const run = makeTaskRun({ runCount: 2 });
    const result = await runTask({
      initial: makeState("COMPLETED", { data }),
      proposed: makeState("RUNNING"),
      run,
      rules,
    });
    expect(result.status).toBe("ACCEPT");
    expect(run.runCount).toBe(0);
  });

  it.each<{ name: string; to: StateType; runCount: number }>([
    { name: "non-final SCHEDULED resets run_count", to: "SCHEDULED", runCount: 0 },
    { name: "non-final PENDING resets run_count", to: "PENDING", runCount: 0 },
    { name: "final COMPLETED keeps run_count", to: "COMPLETED", runCount: 3 },
  ])("FAILED → $name", async ({ to, runCount }) => {
    const run = makeTaskRun({ runCount: 3 });
    await runTask({ initial: makeState("FAILED"), proposed: makeState(to), run, rules });
    expect(run.runCount).toBe(runCount);
  });

  it.each([
    { name: "the flow run was retried → 'Retrying'", tracked: 1, flowCount: 2, name2: "Retrying" },
    { name: "same flow attempt → unchanged", tracked: 2, flowCount: 2, name2: "Running" },
  ])("FAILED → RUNNING, $name", async ({ tracked, flowCount, name2 }) => {
    const deps = new FakeTaskDeps();
    deps.flowRuns.set(makeState("RUNNING"), { runCount: flowCount });
    const result = await runTask({
      initial: makeState("FAILED"),
      proposed: makeState("RUNNING"),
      run: makeTaskRun({ flowRunRunCount: tracked }),
      deps,
      rules,
    });
    expect(result.state?.name).toBe(name2);
  });

  it("an autonomous task (no flow run) is not renamed", async () => {
    const result = await runTask({
      initial: makeState("FAILED"),
      proposed: makeState("RUNNING"),
      run: makeTaskRun({ flowRunId: null }),
      rules,
    });
    expect(result.state?.name).toBe("Running");
  });

  it("restores run_count when a later rule fizzles it", async () => {
    const run = makeTaskRun({ runCount: 3 });
    const result = await runTask({
      initial: makeState("FAILED"),
      proposed: makeState("RUNNING"),
      run,
      rules: [...rules, taskEndingRule("Later", { delay: 5, reason: "later" })],
    });
    expect(result.context.fizzledRules).toEqual(["HandleTaskTerminalStateTransitions"]);
    expect(run.runCount).toBe(3);
  });

  it("does not apply to non-terminal initial states", async () => {
    const run = makeTaskRun({ runCount: 3 });
    await runTask({ initial: makeState("RUNNING"), proposed: makeState("PENDING"), run, rules });
    expect(run.runCount).toBe(3);
  });
});
