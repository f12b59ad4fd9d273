import { describe, expect, it } from "vitest";
import type { CollisionStrategy, StateType } from "../../../src/domain/index.ts";
import { SecureFlowConcurrencySlots } from "../../../src/orchestration/index.ts";
import {
  at,
  endingRule,
  FakeFlowDeps,
  FakeStateWriter,
  makeFlowRun,
  makeState,
  outcome,
  runFlow,
} from "./support.ts";

const rules = [SecureFlowConcurrencySlots];
const REASON = "Deployment concurrency limit reached.";

/** A deployed run whose deployment has a limit of `limit` with `taken` slots in use. */
function deployed(limit: number, taken = 0, strategy: CollisionStrategy | null = null) {
  const deps = new FakeFlowDeps();
  deps.globalLimits.add("limit-1", limit, { activeSlots: taken });
  const options = strategy ? { collisionStrategy: strategy, gracePeriodSeconds: null } : null;
  deps.deployments.add("dep-1", "limit-1", options);
  return { deps, run: makeFlowRun({ deploymentId: "dep-1" }) };
}

describe("SecureFlowConcurrencySlots", () => {
  it.each<StateType | null>([
    null,
    "SCHEDULED",
    "PAUSED",
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "CRASHED",
  ])("%s → PENDING takes a slot and a lease held by the run (TTL 300 s)", async (from) => {
    const { deps, run } = deployed(2);
    const result = await runFlow({
      initial: from && makeState(from),
      proposed: makeState("PENDING"),
      run,
      deps,
      rules,
    });

    expect(result.status).toBe("ACCEPT");
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
    const leaseId = result.state?.stateDetails.deploymentConcurrencyLeaseId;
    expect(leaseId).toBe("lease-1");
    expect(deps.leases.leases.get("lease-1")).toMatchObject({
      resourceIds: ["limit-1"],
      expiration: at(300),
      metadata: { slots: 1, holder: { type: "flow_run", id: run.id } },
    });
  });

  it("uses the deployment's grace period as the lease TTL", async () => {
    const { deps, run } = deployed(1);
    deps.deployments.add("dep-1", "limit-1", {
      collisionStrategy: "ENQUEUE",
      gracePeriodSeconds: 120,
    });
    await runFlow({
      initial: makeState("SCHEDULED"),
      proposed: makeState("PENDING"),
      run,
      deps,
      rules,
    });
    expect(deps.leases.leases.get("lease-1")?.expiration).toEqual(at(120));
  });

  it.each<{ name: string; strategy: CollisionStrategy | null }>([
    { name: "no options (ENQUEUE)", strategy: null },
    { name: "ENQUEUE", strategy: "ENQUEUE" },
  ])("full limit, $name → REJECT into AwaitingConcurrencySlot in 30 s", async ({ strategy }) => {
    const { deps, run } = deployed(1, 1, strategy);
    const result = await runFlow({
      initial: makeState("SCHEDULED"),
      proposed: makeState("PENDING"),
      run,
      deps,
      rules,
    });

    expect(outcome(result)).toEqual({
      status: "REJECT",
      details: { type: "reject_details", reason: REASON },
    });
    expect(result.state).toMatchObject({
      type: "SCHEDULED",
      name: "AwaitingConcurrencySlot",
      stateDetails: { scheduledTime: at(30) },
    });
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
    expect(deps.leases.leases.size).toBe(0);
  });

  it("full limit, CANCEL_NEW → REJECT into CANCELLED", async () => {
    const { deps, run } = deployed(1, 1, "CANCEL_NEW");
    const result = await runFlow({
      initial: makeState("SCHEDULED"),
      proposed: makeState("PENDING"),
      run,
      deps,
      rules,
    });

    expect(outcome(result)).toEqual({
      status: "REJECT",
      details: { type: "reject_details", reason: REASON },
    });
    expect(result.state).toMatchObject({ type: "CANCELLED", name: "Cancelled", message: REASON });
  });

  it("the slot wait comes from the settings", async () => {
    const { deps, run } = deployed(1, 1);
    deps.settings = { ...deps.settings, deploymentConcurrencySlotWaitSeconds: 5 };
    const result = await runFlow({
      initial: makeState("SCHEDULED"),
      proposed: makeState("PENDING"),
      run,
      deps,
      rules,
    });
    expect(result.state?.stateDetails.scheduledTime).toEqual(at(5));
  });

  it("an inactive limit never grants a slot (Prefect quirk, kept)", async () => {
    const { deps, run } = deployed(5);
    deps.globalLimits.add("limit-1", 5, { active: false });
    const result = await runFlow({
      initial: makeState("SCHEDULED"),
      proposed: makeState("PENDING"),
      run,
      deps,
      rules,
    });
    expect(result.state?.name).toBe("AwaitingConcurrencySlot");
  });

  it("a limit of 0 aborts", async () => {
    const { deps, run } = deployed(0);
    const result = await runFlow({
      initial: makeState("SCHEDULED"),
      proposed: makeState("PENDING"),
      run,
      deps,
      rules,
    });
    expect(outcome(result)).toEqual({
      status: "ABORT",
      details: {
        type: "abort_details",
        reason: "The deployment concurrency limit is 0. The flow will deadlock if submitted again.",
      },
    });
  });

  it("a missing deployment aborts", async () => {
    const deps = new FakeFlowDeps();
    const result = await runFlow({
      initial: makeState("SCHEDULED"),
      proposed: makeState("PENDING"),
      run: makeFlowRun({ deploymentId: "gone" }),
      deps,
      rules,
    });
    expect(outcome(result)).toEqual({
      status: "ABORT",
      details: { type: "abort_details", reason: "Deployment not found." },
    });
  });

  it.each([
    { name: "no deployment", deploymentId: null, limitId: null },
    { name: "a deployment without a limit", deploymentId: "dep-2", limitId: null },
    { name: "a deployment whose limit row is missing", deploymentId: "dep-2", limitId: "missing" },
  ])("a run with $name is accepted without a lease", async ({ deploymentId, limitId }) => {
    const deps = new FakeFlowDeps();
    deps.deployments.add("dep-2", limitId);
    const result = await runFlow({
      initial: makeState("SCHEDULED"),
      proposed: makeState("PENDING"),
      run: makeFlowRun({ deploymentId }),
      deps,
      rules,
    });
    expect(result.status).toBe("ACCEPT");
    expect(result.state?.stateDetails.deploymentConcurrencyLeaseId).toBeUndefined();
  });

  it("gives the slot back when a later rule fizzles it; the response shows no lease", async () => {
    const { deps, run } = deployed(1);
    const result = await runFlow({
      initial: makeState("SCHEDULED"),
      proposed: makeState("PENDING"),
      run,
      deps,
      rules: [...rules, endingRule("Later", { delay: 5, reason: "later" })],
    });

    expect(result.status).toBe("WAIT");
    expect(result.context.fizzledRules).toEqual(["SecureFlowConcurrencySlots"]);
    expect(deps.globalLimits.slots("limit-1")).toBe(0);
    expect(deps.leases.leases.size).toBe(0);
  });

  it("gives the slot back when validation fails", async () => {
    const { deps, run } = deployed(1);
    const writer = new FakeStateWriter();
    writer.failure = { error: new Error("constraint"), retryable: false };
    const result = await runFlow({
      initial: makeState("SCHEDULED"),
      proposed: makeState("PENDING"),
      run,
      deps,
      writer,
      rules,
    });

    expect(result.status).toBe("ABORT");
    expect(deps.globalLimits.slots("limit-1")).toBe(0);
  });
});
