import { describe, expect, it } from "vitest";
import {
  EnsureTaskRunStateTimestampIsUnique,
  SetRunStateTimestamp,
} from "../../../src/orchestration/index.ts";
import { makeState, T0 } from "./support.ts";
import { FakeTaskDeps, makeTaskRun, runTask, taskEndingRule } from "./task-support.ts";

const transforms = [EnsureTaskRunStateTimestampIsUnique, SetRunStateTimestamp];

describe("EnsureTaskRunStateTimestampIsUnique", () => {
  it.each([
    { name: "a free timestamp is kept", taken: [], expected: 0 },
    { name: "§8.2.5 a taken task-run state timestamp moves 1 ms forward", taken: [0], expected: 1 },
    { name: "consecutive taken timestamps are all skipped", taken: [0, 1, 2], expected: 3 },
    { name: "only exact matches count", taken: [1], expected: 0 },
  ])("$name", async ({ taken, expected }) => {
    const deps = new FakeTaskDeps();
    for (const ms of taken) deps.taskRunStates.take("task-run-1", new Date(T0.getTime() + ms));
    const run = makeTaskRun();
    const result = await runTask({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      run,
      deps,
      transforms,
    });
    const timestamp = new Date(T0.getTime() + expected);
    expect(result.state?.timestamp).toEqual(timestamp);
    expect(run.stateTimestamp).toEqual(timestamp);
  });

  it("ignores other runs' states and nullified transitions", async () => {
    const deps = new FakeTaskDeps();
    deps.taskRunStates.take("other", T0);
    const result = await runTask({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      deps,
      transforms,
    });
    expect(result.state?.timestamp).toEqual(T0);
    const nullified = await runTask({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      deps,
      rules: [taskEndingRule("Stop", { abort: "stop" })],
      transforms,
    });
    expect(nullified.status).toBe("ABORT");
  });
});
