import { describe, expect, it } from "vitest";
import type { StateType } from "../../../src/domain/index.ts";
import { SetStartTime } from "../../../src/orchestration/index.ts";
import { at, makeFlowRun, makeState, runFlow } from "./support.ts";

describe("SetStartTime", () => {
  it.each<{ name: string; to: StateType; before: Date | null; after: Date | null }>([
    { name: "first RUNNING sets it", to: "RUNNING", before: null, after: at(0) },
    { name: "a later RUNNING keeps the first", to: "RUNNING", before: at(-60), after: at(-60) },
    { name: "PENDING does not set it", to: "PENDING", before: null, after: null },
  ])("$name", async ({ to, before, after }) => {
    const run = makeFlowRun({ startTime: before });
    await runFlow({
      initial: makeState("SCHEDULED"),
      proposed: makeState(to),
      run,
      transforms: [SetStartTime],
    });
    expect(run.startTime).toEqual(after);
  });
});
