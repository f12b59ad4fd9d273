import { describe, expect, it } from "vitest";
import { defaultFlowRunPolicy, type StateType } from "../../../src/domain/index.ts";
import { IncrementFlowRunCount } from "../../../src/orchestration/index.ts";
import { makeFlowRun, makeState, runFlow } from "./support.ts";

describe("IncrementFlowRunCount", () => {
  it.each<{ name: string; to: StateType; resuming: boolean; count: number }>([
    { name: "entering RUNNING counts", to: "RUNNING", resuming: false, count: 3 },
    { name: "resuming into RUNNING does not count", to: "RUNNING", resuming: true, count: 2 },
    { name: "other states do not count", to: "COMPLETED", resuming: false, count: 2 },
  ])("$name", async ({ to, resuming, count }) => {
    const run = makeFlowRun({
      runCount: 2,
      empiricalPolicy: { ...defaultFlowRunPolicy(), resuming },
    });
    await runFlow({
      initial: makeState("SCHEDULED"),
      proposed: makeState(to),
      run,
      transforms: [IncrementFlowRunCount],
    });
    expect(run.runCount).toBe(count);
  });
});
