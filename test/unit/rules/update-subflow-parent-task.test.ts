import { describe, expect, it } from "vitest";
import { UpdateSubflowParentTask } from "../../../src/orchestration/index.ts";
import {
  endingRule,
  FakeFlowDeps,
  FakeSubflowParentTasks,
  makeFlowRun,
  makeState,
  runFlow,
  T0,
} from "./support.ts";

const transforms = [UpdateSubflowParentTask];

describe("UpdateSubflowParentTask", () => {
  it("mirrors a committed subflow state onto the parent task run as a fresh copy", async () => {
    const deps = new FakeFlowDeps();
    const parents = new FakeSubflowParentTasks();
    deps.subflowParentTasks = parents;
    const proposed = makeState("RUNNING", { message: "hi" });

    await runFlow({
      initial: makeState("PENDING"),
      proposed,
      run: makeFlowRun({ parentTaskRunId: "task-run-9" }),
      deps,
      transforms,
    });

    expect(parents.forced).toHaveLength(1);
    expect(parents.forced[0]?.taskRunId).toBe("task-run-9");
    expect(parents.forced[0]?.state).toMatchObject({
      id: "id-1",
      type: "RUNNING",
      name: "Running",
      message: "hi",
      timestamp: T0,
      stateDetails: { childFlowRunId: "flow-run-1" },
    });
    expect(proposed.stateDetails.childFlowRunId).toBeUndefined();
  });

  it.each([
    { name: "a top-level flow", parent: null, nullified: false },
    { name: "a nullified transition", parent: "task-run-9", nullified: true },
  ])("does nothing for $name", async ({ parent, nullified }) => {
    const deps = new FakeFlowDeps();
    const parents = new FakeSubflowParentTasks();
    deps.subflowParentTasks = parents;
    await runFlow({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      run: makeFlowRun({ parentTaskRunId: parent }),
      deps,
      rules: nullified ? [endingRule("Stop", { abort: "stop" })] : [],
      transforms,
    });
    expect(parents.forced).toEqual([]);
  });

  it("does nothing while the port is absent (task runs come later)", async () => {
    const deps = new FakeFlowDeps();
    deps.subflowParentTasks = undefined;
    const result = await runFlow({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      run: makeFlowRun({ parentTaskRunId: "task-run-9" }),
      deps,
      transforms,
    });
    expect(result.status).toBe("ACCEPT");
  });
});
