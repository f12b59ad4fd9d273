import { describe, expect, it } from "vitest";
import { EnsureFlowRunStateTimestampIsUnique } from "../../../src/orchestration/index.ts";
import { endingRule, FakeFlowDeps, makeState, runFlow, T0 } from "./support.ts";

const transforms = [EnsureFlowRunStateTimestampIsUnique];

describe("EnsureFlowRunStateTimestampIsUnique", () => {
  it.each([
    { name: "a free timestamp is kept", taken: [], expected: 0 },
    { name: "§8.2.5 a taken timestamp moves 1 ms forward", taken: [0], expected: 1 },
    { name: "consecutive taken timestamps are all skipped", taken: [0, 1, 2], expected: 3 },
    { name: "only exact matches count", taken: [1], expected: 0 },
  ])("$name", async ({ taken, expected }) => {
    const deps = new FakeFlowDeps();
    for (const ms of taken) deps.flowRunStates.take("flow-run-1", new Date(T0.getTime() + ms));
    const result = await runFlow({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      deps,
      transforms,
    });
    expect(result.state?.timestamp).toEqual(new Date(T0.getTime() + expected));
  });

  it("ignores other runs' states and nullified transitions", async () => {
    const deps = new FakeFlowDeps();
    deps.flowRunStates.take("other-run", T0);
    const result = await runFlow({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      deps,
      transforms,
    });
    expect(result.state?.timestamp).toEqual(T0);

    const nullified = await runFlow({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      deps,
      rules: [endingRule("Stop", { abort: "stop" })],
      transforms,
    });
    expect(nullified.status).toBe("ABORT");
  });
});
