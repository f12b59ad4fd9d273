import { describe, expect, it } from "vitest";
import { PreventDuplicateTransitions } from "../../../src/orchestration/index.ts";
import { makeState, outcome, runFlow } from "./support.ts";

const rules = [PreventDuplicateTransitions];

describe("PreventDuplicateTransitions", () => {
  it.each([
    { name: "same transition id → REJECT null", current: "t-1", requested: "t-1", rejected: true },
    { name: "different ids → ACCEPT", current: "t-1", requested: "t-2", rejected: false },
    {
      name: "only the proposal has an id → ACCEPT",
      current: null,
      requested: "t-1",
      rejected: false,
    },
    {
      name: "only the current state has one → ACCEPT",
      current: "t-1",
      requested: null,
      rejected: false,
    },
    { name: "neither has one → ACCEPT", current: null, requested: null, rejected: false },
  ])("PENDING → RUNNING, $name", async ({ current, requested, rejected }) => {
    const initial = makeState("PENDING", { stateDetails: { transitionId: current } });
    const result = await runFlow({
      initial,
      proposed: makeState("RUNNING", { stateDetails: { transitionId: requested } }),
      rules,
    });

    if (rejected) {
      expect(outcome(result)).toEqual({
        status: "REJECT",
        details: {
          type: "reject_details",
          reason: "This run has already made this state transition.",
        },
      });
      expect(result.state?.id).toBe(initial.id);
    } else {
      expect(result.status).toBe("ACCEPT");
    }
  });

  it("null → PENDING with a transition id is accepted (no current state)", async () => {
    const result = await runFlow({
      initial: null,
      proposed: makeState("PENDING", { stateDetails: { transitionId: "t-1" } }),
      rules,
    });
    expect(result.status).toBe("ACCEPT");
  });
});
