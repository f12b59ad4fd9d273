import { describe, expect, it } from "vitest";
import type { StateType } from "../../../src/domain/index.ts";
import { PreventPendingTransitions } from "../../../src/orchestration/index.ts";
import { at, makeState, outcome, runFlow } from "./support.ts";

const rules = [PreventPendingTransitions];

describe("PreventPendingTransitions", () => {
  it.each<StateType>(["PENDING", "RUNNING", "CANCELLING", "CANCELLED"])(
    "%s → PENDING is aborted",
    async (from) => {
      const result = await runFlow({
        initial: makeState(from),
        proposed: makeState("PENDING"),
        rules,
      });
      expect(outcome(result)).toEqual({
        status: "ABORT",
        details: {
          type: "abort_details",
          reason: `This run is in a ${from} state and cannot transition to a PENDING state.`,
        },
      });
    },
  );

  it.each<StateType>(["SCHEDULED", "COMPLETED", "FAILED", "CRASHED", "PAUSED"])(
    "%s → PENDING is not guarded",
    async (from) => {
      const result = await runFlow({
        initial: makeState(from),
        proposed: makeState("PENDING"),
        rules,
      });
      expect(result.status).toBe("ACCEPT");
    },
  );

  it.each([
    { name: "Pending → Submitting", from: "Pending", to: "Submitting", allowed: true },
    {
      name: "Submitting → InfrastructurePending",
      from: "Submitting",
      to: "InfrastructurePending",
      allowed: true,
    },
    { name: "Submitting → Pending", from: "Submitting", to: "Pending", allowed: false },
    { name: "Submitting → Submitting", from: "Submitting", to: "Submitting", allowed: false },
  ])("named PENDING sub-steps: $name", async ({ from, to, allowed }) => {
    const scheduledTime = at(60);
    const initial = makeState("PENDING", {
      name: from,
      stateDetails: { scheduledTime, deploymentConcurrencyLeaseId: "lease-1" },
    });
    const proposed = makeState("PENDING", {
      name: to,
      stateDetails: { scheduledTime: at(999), deploymentConcurrencyLeaseId: "other" },
    });

    const result = await runFlow({ initial, proposed, rules });

    expect(result.status).toBe(allowed ? "ACCEPT" : "ABORT");
    if (allowed) {
      expect(result.state?.name).toBe(to);
      expect(result.state?.stateDetails.scheduledTime).toEqual(scheduledTime);
      expect(result.state?.stateDetails.deploymentConcurrencyLeaseId).toBe("lease-1");
    }
  });

  it("a sub-step copies null details over the proposal's", async () => {
    const result = await runFlow({
      initial: makeState("PENDING"),
      proposed: makeState("PENDING", {
        name: "Submitting",
        stateDetails: { scheduledTime: at(5) },
      }),
      rules,
    });
    expect(result.state?.stateDetails.scheduledTime).toBeNull();
    expect(result.state?.stateDetails.deploymentConcurrencyLeaseId).toBeNull();
  });
});
