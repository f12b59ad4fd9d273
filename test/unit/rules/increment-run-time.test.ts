import { describe, expect, it } from "vitest";
import type { StateType } from "../../../src/domain/index.ts";
import { IncrementRunTime } from "../../../src/orchestration/index.ts";
import { at, makeFlowRun, makeState, runFlow } from "./support.ts";

describe("IncrementRunTime", () => {
  it.each<{ name: string; from: StateType; to: StateType; total: number }>([
    { name: "RUNNING → COMPLETED adds the span", from: "RUNNING", to: "COMPLETED", total: 102.5 },
    { name: "RUNNING → RUNNING adds the span", from: "RUNNING", to: "RUNNING", total: 102.5 },
    { name: "PENDING → RUNNING adds nothing", from: "PENDING", to: "RUNNING", total: 100 },
  ])("$name", async ({ from, to, total }) => {
    const run = makeFlowRun({ totalRunTime: 100 });
    const initial = { ...makeState(from), timestamp: at(-2.5) };
    await runFlow({ initial, proposed: makeState(to), run, transforms: [IncrementRunTime] });
    expect(run.totalRunTime).toBe(total);
  });
});
