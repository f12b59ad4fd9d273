import { describe, expect, it } from "vitest";
import { SetExpectedStartTime } from "../../../src/orchestration/index.ts";
import { at, makeFlowRun, makeState, runFlow } from "./support.ts";

describe("SetExpectedStartTime", () => {
  it.each([
    {
      name: "SCHEDULED uses its scheduled time",
      proposed: () => makeState("SCHEDULED", { stateDetails: { scheduledTime: at(600) } }),
      before: null,
      after: at(600),
    },
    {
      name: "PENDING uses its timestamp",
      proposed: () => makeState("PENDING"),
      before: null,
      after: at(0),
    },
    {
      name: "an existing expectation is kept",
      proposed: () => makeState("SCHEDULED", { stateDetails: { scheduledTime: at(600) } }),
      before: at(-60),
      after: at(-60),
    },
  ])("$name", async ({ proposed, before, after }) => {
    const run = makeFlowRun({ expectedStartTime: before });
    await runFlow({ initial: null, proposed: proposed(), run, transforms: [SetExpectedStartTime] });
    expect(run.expectedStartTime).toEqual(after);
  });
});
