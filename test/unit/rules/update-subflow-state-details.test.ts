import { describe, expect, it } from "vitest";
import { UpdateSubflowStateDetails } from "../../../src/orchestration/index.ts";
import { makeFlowRun, makeState, runFlow } from "./support.ts";

describe("UpdateSubflowStateDetails", () => {
  it.each([
    {
      name: "a subflow's state names its parent task run",
      parent: "task-run-9",
      expected: "task-run-9",
    },
    { name: "a top-level flow's state is left alone", parent: null, expected: undefined },
  ])("$name", async ({ parent, expected }) => {
    const result = await runFlow({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      run: makeFlowRun({ parentTaskRunId: parent }),
      transforms: [UpdateSubflowStateDetails],
    });
    expect(result.state?.stateDetails.taskRunId).toBe(expected);
  });
});
