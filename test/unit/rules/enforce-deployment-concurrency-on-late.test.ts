import { describe, expect, it } from "vitest";
import type { CollisionStrategy } from "../../../src/domain/index.ts";
import { EnforceDeploymentConcurrencyOnLate } from "../../../src/orchestration/index.ts";
import { FakeFlowDeps, makeFlowRun, makeState, outcome, runFlow } from "./support.ts";

const rules = [EnforceDeploymentConcurrencyOnLate];

interface Case {
  name: string;
  strategy: CollisionStrategy | null;
  taken: number;
  active?: boolean;
  proposedName?: string;
  cancelled: boolean;
}

describe("EnforceDeploymentConcurrencyOnLate", () => {
  it.each<Case>([
    { name: "CANCEL_NEW, full", strategy: "CANCEL_NEW", taken: 1, cancelled: true },
    { name: "CANCEL_NEW, over full", strategy: "CANCEL_NEW", taken: 3, cancelled: true },
    {
      name: "CANCEL_NEW, full, inactive limit (active ignored)",
      strategy: "CANCEL_NEW",
      taken: 1,
      active: false,
      cancelled: true,
    },
    { name: "CANCEL_NEW, free", strategy: "CANCEL_NEW", taken: 0, cancelled: false },
    { name: "ENQUEUE, full", strategy: "ENQUEUE", taken: 1, cancelled: false },
    { name: "no options, full", strategy: null, taken: 1, cancelled: false },
    {
      name: "CANCEL_NEW, full, not a Late proposal",
      strategy: "CANCEL_NEW",
      taken: 1,
      proposedName: "Scheduled",
      cancelled: false,
    },
  ])("SCHEDULED → Late, $name", async (c) => {
    const deps = new FakeFlowDeps();
    deps.globalLimits.add("limit-1", 1, { activeSlots: c.taken, active: c.active ?? true });
    deps.deployments.add(
      "dep-1",
      "limit-1",
      c.strategy && { collisionStrategy: c.strategy, gracePeriodSeconds: null },
    );

    const result = await runFlow({
      initial: makeState("SCHEDULED"),
      proposed: makeState("SCHEDULED", { name: c.proposedName ?? "Late" }),
      run: makeFlowRun({ deploymentId: "dep-1" }),
      deps,
      rules,
    });

    if (!c.cancelled) {
      expect(result.status).toBe("ACCEPT");
      return;
    }
    expect(outcome(result)).toEqual({
      status: "REJECT",
      details: {
        type: "reject_details",
        reason: "Deployment concurrency limit is full and uses the CANCEL_NEW strategy.",
      },
    });
    expect(result.state).toMatchObject({
      type: "CANCELLED",
      name: "Cancelled",
      message: "Deployment concurrency limit reached.",
    });
  });

  it("runs without a deployment are marked Late", async () => {
    const result = await runFlow({
      initial: makeState("SCHEDULED"),
      proposed: makeState("SCHEDULED", { name: "Late" }),
      rules,
    });
    expect(result.status).toBe("ACCEPT");
  });
});
