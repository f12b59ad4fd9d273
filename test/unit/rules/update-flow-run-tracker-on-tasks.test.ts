import { describe, expect, it } from "vitest";
import { TaskRunFlowRunNotFoundError } from "../../../src/domain/index.ts";
import { UpdateFlowRunTrackerOnTasks } from "../../../src/orchestration/index.ts";
import { makeState } from "./support.ts";
import { FakeTaskDeps, makeTaskRun, runTask, taskEndingRule } from "./task-support.ts";

const rules = [UpdateFlowRunTrackerOnTasks];

describe("UpdateFlowRunTrackerOnTasks", () => {
  it("PENDING → RUNNING copies the flow run's run count", async () => {
    const deps = new FakeTaskDeps();
    deps.flowRuns.set(makeState("RUNNING"), { runCount: 3 });
    const run = makeTaskRun();
    await runTask({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      run,
      deps,
      rules,
    });
    expect(run.flowRunRunCount).toBe(3);
  });

  it("an autonomous task keeps 0", async () => {
    const run = makeTaskRun({ flowRunId: null });
    const result = await runTask({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      run,
      rules,
    });
    expect(result.status).toBe("ACCEPT");
    expect(run.flowRunRunCount).toBe(0);
  });

  it("a missing flow run fails the transition with NOT_FOUND and Prefect's message", async () => {
    const promise = runTask({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      run: makeTaskRun({ flowRunId: "gone" }),
      rules,
    });
    await expect(promise).rejects.toBeInstanceOf(TaskRunFlowRunNotFoundError);
    await expect(promise).rejects.toThrow(
      "Unable to read flow run associated with task run: task-run-1, this flow run might have been deleted",
    );
  });

  it("nothing happens when the transition is nullified", async () => {
    const run = makeTaskRun({ flowRunId: "gone" });
    const result = await runTask({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      run,
      rules: [...rules, taskEndingRule("Stop", { abort: "stop" })],
    });
    expect(result.status).toBe("ABORT");
  });
});
