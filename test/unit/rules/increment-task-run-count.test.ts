import { describe, expect, it } from "vitest";
import type { StateType } from "../../../src/domain/index.ts";
import { IncrementTaskRunCount } from "../../../src/orchestration/index.ts";
import { makeState } from "./support.ts";
import { makeTaskRun, runTask, taskEndingRule } from "./task-support.ts";

const transforms = [IncrementTaskRunCount];

describe("IncrementTaskRunCount", () => {
  it.each<{ from: StateType | null; to: StateType; expected: number }>([
    { from: "PENDING", to: "RUNNING", expected: 3 },
    { from: "RUNNING", to: "RUNNING", expected: 3 },
    { from: null, to: "RUNNING", expected: 3 },
    { from: "RUNNING", to: "COMPLETED", expected: 2 },
    { from: "SCHEDULED", to: "PENDING", expected: 2 },
  ])("$from → $to: run_count 2 → $expected", async ({ from, to, expected }) => {
    const run = makeTaskRun({ runCount: 2 });
    await runTask({ initial: from && makeState(from), proposed: makeState(to), run, transforms });
    expect(run.runCount).toBe(expected);
  });

  it("a nullified RUNNING proposal is not counted", async () => {
    const run = makeTaskRun({ runCount: 2 });
    await runTask({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      run,
      rules: [taskEndingRule("Stop", { delay: 1, reason: "x" })],
      transforms,
    });
    expect(run.runCount).toBe(2);
  });
});
