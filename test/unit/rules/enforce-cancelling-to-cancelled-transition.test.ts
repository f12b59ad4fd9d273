import { describe, expect, it } from "vitest";
import type { StateType } from "../../../src/domain/index.ts";
import { EnforceCancellingToCancelledTransition } from "../../../src/orchestration/index.ts";
import { makeState, outcome, runFlow } from "./support.ts";

const rules = [EnforceCancellingToCancelledTransition];
const REASON = "Cannot transition flows that are cancelling to a state other than Cancelled.";

describe("EnforceCancellingToCancelledTransition", () => {
  it.each<StateType>([
    "RUNNING",
    "COMPLETED",
    "FAILED",
    "CRASHED",
    "SCHEDULED",
    "PENDING",
    "PAUSED",
    "CANCELLING",
  ])("CANCELLING → %s is rejected without a new state", async (to) => {
    const initial = makeState("CANCELLING");
    const result = await runFlow({ initial, proposed: makeState(to), rules });
    expect(outcome(result)).toEqual({
      status: "REJECT",
      details: { type: "reject_details", reason: REASON },
    });
    expect(result.state?.id).toBe(initial.id);
  });

  it("CANCELLING → CANCELLED is accepted", async () => {
    const result = await runFlow({
      initial: makeState("CANCELLING"),
      proposed: makeState("CANCELLED"),
      rules,
    });
    expect(result.status).toBe("ACCEPT");
  });

  it("§8.3.5 cancelled runs may be retried: CANCELLED → SCHEDULED is not guarded", async () => {
    const result = await runFlow({
      initial: makeState("CANCELLED"),
      proposed: makeState("SCHEDULED"),
      rules,
    });
    expect(result.status).toBe("ACCEPT");
  });
});
