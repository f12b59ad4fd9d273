import { describe, expect, it } from "vitest";
import type { StateType } from "../../../src/domain/index.ts";
import { SetNextScheduledStartTime } from "../../../src/orchestration/index.ts";
import { at, makeFlowRun, makeState, runFlow } from "./support.ts";

describe("SetNextScheduledStartTime", () => {
  it.each<{ name: string; from: StateType | null; to: StateType; after: Date | null }>([
    { name: "leaving SCHEDULED clears it", from: "SCHEDULED", to: "PENDING", after: null },
    {
      name: "entering SCHEDULED sets the scheduled time",
      from: "RUNNING",
      to: "SCHEDULED",
      after: at(60),
    },
    {
      name: "SCHEDULED → SCHEDULED takes the new time",
      from: "SCHEDULED",
      to: "SCHEDULED",
      after: at(60),
    },
    { name: "other transitions keep it", from: "PENDING", to: "RUNNING", after: at(-1) },
  ])("$name", async ({ from, to, after }) => {
    const run = makeFlowRun({ nextScheduledStartTime: at(-1) });
    await runFlow({
      initial: from && makeState(from),
      proposed: makeState(to, { stateDetails: { scheduledTime: at(60) } }),
      run,
      transforms: [SetNextScheduledStartTime],
    });
    expect(run.nextScheduledStartTime).toEqual(after);
  });
});
