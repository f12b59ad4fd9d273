import { describe, expect, it } from "vitest";
import { CopyScheduledTime } from "../../../src/orchestration/index.ts";
import { at, makeState, runFlow } from "./support.ts";

const rules = [CopyScheduledTime];

describe("CopyScheduledTime", () => {
  it.each([
    {
      name: "a proposal without a scheduled time gets the current one",
      own: null,
      expected: at(3600),
    },
    { name: "a proposal with its own keeps it", own: at(60), expected: at(60) },
  ])("SCHEDULED → PENDING: $name", async ({ own, expected }) => {
    const result = await runFlow({
      initial: makeState("SCHEDULED", { stateDetails: { scheduledTime: at(3600) } }),
      proposed: makeState("PENDING", { stateDetails: { scheduledTime: own } }),
      rules,
    });
    expect(result.state?.stateDetails.scheduledTime).toEqual(expected);
  });

  it("does not apply to PENDING → PENDING", async () => {
    const result = await runFlow({
      initial: makeState("PENDING", { stateDetails: { scheduledTime: at(3600) } }),
      proposed: makeState("PENDING", { name: "Submitting" }),
      rules,
    });
    expect(result.state?.stateDetails.scheduledTime).toBeUndefined();
  });
});
