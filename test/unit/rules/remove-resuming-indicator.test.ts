import { describe, expect, it } from "vitest";
import { defaultFlowRunPolicy, type StateType } from "../../../src/domain/index.ts";
import { RemoveResumingIndicator } from "../../../src/orchestration/index.ts";
import { makeFlowRun, makeState, runFlow } from "./support.ts";

describe("RemoveResumingIndicator", () => {
  it.each<{ to: StateType; resuming: boolean }>([
    { to: "RUNNING", resuming: false },
    { to: "COMPLETED", resuming: false },
    { to: "CRASHED", resuming: false },
    { to: "SCHEDULED", resuming: true },
    { to: "PENDING", resuming: true },
  ])("a resuming run entering $to → resuming=$resuming", async ({ to, resuming }) => {
    const run = makeFlowRun({ empiricalPolicy: { ...defaultFlowRunPolicy(), resuming: true } });
    await runFlow({
      initial: makeState("PAUSED"),
      proposed: makeState(to),
      run,
      transforms: [RemoveResumingIndicator],
    });
    expect(run.empiricalPolicy.resuming).toBe(resuming);
  });
});
