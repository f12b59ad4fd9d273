import { describe, expect, it } from "vitest";
import type { CollisionStrategy, StateType } from "../../../src/domain/index.ts";
import {
  CoreFlowPolicy,
  defaultOrchestrationSettings,
  flowRunPolicies,
  SecureFlowConcurrencySlotsStrictly,
} from "../../../src/orchestration/index.ts";
import {
  at,
  endingRule,
  FakeFlowDeps,
  makeFlowRun,
  makeState,
  outcome,
  runFlow,
} from "./support.ts";

const rules = [SecureFlowConcurrencySlotsStrictly];
const REASON = "Deployment concurrency limit reached.";

/** A deployed run (limit `limit`, `taken` slots in use), strict mode on unless told. */
function deployed(
  limit: number,
  taken = 0,
  {
    strategy = null,
    strict = true,
  }: { strategy?: CollisionStrategy | null; strict?: boolean } = {},
) {
  const deps = new FakeFlowDeps();
  deps.settings = defaultOrchestrationSettings({ strictDeploymentLimits: strict });
  deps.globalLimits.add("limit-1", limit, { activeSlots: taken });
  const options = strategy ? { collisionStrategy: strategy, gracePeriodSeconds: null } : null;
  deps.deployments.add("dep-1", "limit-1", options);
  return { deps, run: makeFlowRun({ deploymentId: "dep-1" }) };
}

describe("SecureFlowConcurrencySlotsStrictly", () => {
  it.each<[StateType | null, StateType]>([
    [null, "PENDING"],
    [null, "RUNNING"],
    ["SCHEDULED", "RUNNING"],
    ["PAUSED", "RUNNING"],
    ["PENDING", "RUNNING"],
    ["RUNNING", "RUNNING"],
    ["CANCELLING", "RUNNING"],
    ["FAILED", "RUNNING"],
  ])("strict: %s → %s without a slot takes one, with a lease held by the run", async (from, to) => {
    const { deps, run } = deployed(2);
    const result = await runFlow({
      initial: from && makeState(from),
      proposed: makeState(to),
      run,
      deps,
      rules,
    });

    expect(result.status).toBe("ACCEPT");
    expect(result.context.ruleSignature).toEqual(["SecureFlowConcurrencySlotsStrictly"]);
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
    expect(result.state?.stateDetails.deploymentConcurrencyLeaseId).toBe("lease-1");
    expect(deps.leases.leases.get("lease-1")).toMatchObject({
      resourceIds: ["limit-1"],
      expiration: at(300),
      metadata: { slots: 1, holder: { type: "flow_run", id: run.id } },
    });
  });

  it.each<[StateType | null, StateType]>([
    [null, "RUNNING"],
    ["SCHEDULED", "RUNNING"],
    ["PAUSED", "RUNNING"],
    ["SCHEDULED", "PENDING"],
  ])("default mode: %s → %s is not touched (no hook, no signature, no slot)", async (from, to) => {
    const { deps, run } = deployed(1, 1, { strict: false });
    const result = await runFlow({
      initial: from && makeState(from),
      proposed: makeState(to),
      run,
      deps,
      rules,
    });

    expect(result.status).toBe("ACCEPT");
    expect(result.context.ruleSignature).toEqual([]);
    expect(result.context.finalizationSignature).toEqual([]);
    expect(deps.deployments.reads).toBe(0);
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
  });

  it("strict: a run that already holds a lease on the limit keeps it, renewed, and takes no second slot", async () => {
    const { deps, run } = deployed(1, 1);
    deps.leases.seed("lease-0", "limit-1", { type: "flow_run", id: run.id }, 10);
    const result = await runFlow({
      initial: makeState("RUNNING"),
      proposed: makeState("RUNNING", { stateDetails: { deploymentConcurrencyLeaseId: "forged" } }),
      run,
      deps,
      rules,
    });

    expect(result.status).toBe("ACCEPT");
    expect(result.state?.stateDetails.deploymentConcurrencyLeaseId).toBe("lease-0");
    expect(deps.leases.leases.get("lease-0")?.expiration).toEqual(at(300));
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
    expect(deps.leases.leases.size).toBe(1);
  });

  it("strict: another run's lease does not count as held", async () => {
    const { deps, run } = deployed(1, 1);
    deps.leases.seed("lease-0", "limit-1", { type: "flow_run", id: "someone-else" });
    const result = await runFlow({
      initial: makeState("SCHEDULED"),
      proposed: makeState("RUNNING", { stateDetails: { deploymentConcurrencyLeaseId: "lease-0" } }),
      run,
      deps,
      rules,
    });
    expect(result.state?.name).toBe("AwaitingConcurrencySlot");
  });

  it.each<{ name: string; strategy: CollisionStrategy | null }>([
    { name: "no options (ENQUEUE)", strategy: null },
    { name: "ENQUEUE", strategy: "ENQUEUE" },
  ])(
    "strict, full limit, $name: SCHEDULED → RUNNING is rejected into AwaitingConcurrencySlot in 30 s",
    async ({ strategy }) => {
      const { deps, run } = deployed(1, 1, { strategy });
      const result = await runFlow({
        initial: makeState("SCHEDULED"),
        proposed: makeState("RUNNING"),
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
    },
  );

  it("strict, full limit, CANCEL_NEW: the run is rejected into CANCELLED", async () => {
    const { deps, run } = deployed(1, 1, { strategy: "CANCEL_NEW" });
    const result = await runFlow({
      initial: null,
      proposed: makeState("RUNNING"),
      run,
      deps,
      rules,
    });
    expect(outcome(result)).toEqual({
      status: "REJECT",
      details: { type: "reject_details", reason: REASON },
    });
    expect(result.state).toMatchObject({ type: "CANCELLED", message: REASON });
  });

  it("strict: a limit of 0 aborts with Prefect's reason", async () => {
    const { deps, run } = deployed(0);
    const result = await runFlow({
      initial: makeState("SCHEDULED"),
      proposed: makeState("RUNNING"),
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

  it("strict: a run without a deployment, or a deployment without a limit, is accepted as is", async () => {
    const deps = new FakeFlowDeps();
    deps.settings = defaultOrchestrationSettings({ strictDeploymentLimits: true });
    deps.deployments.add("dep-2", null);
    for (const deploymentId of [null, "dep-2"]) {
      const result = await runFlow({
        initial: makeState("SCHEDULED"),
        proposed: makeState("RUNNING"),
        run: makeFlowRun({ deploymentId }),
        deps,
        rules,
      });
      expect(result.status).toBe("ACCEPT");
      expect(result.state?.stateDetails.deploymentConcurrencyLeaseId).toBeUndefined();
    }
  });

  it("strict: gives the slot back when a later rule fizzles the transition", async () => {
    const { deps, run } = deployed(1);
    const result = await runFlow({
      initial: makeState("SCHEDULED"),
      proposed: makeState("RUNNING"),
      run,
      deps,
      rules: [...rules, endingRule("Later", { delay: 5, reason: "later" })],
    });
    expect(result.status).toBe("WAIT");
    expect(result.context.fizzledRules).toEqual(["SecureFlowConcurrencySlotsStrictly"]);
    expect(deps.globalLimits.slots("limit-1")).toBe(0);
    expect(deps.leases.leases.size).toBe(0);
  });

  it("strict, CoreFlowPolicy: SCHEDULED → PENDING takes one slot, not two", async () => {
    const { deps, run } = deployed(2);
    const result = await runFlow({
      initial: makeState("SCHEDULED", { stateDetails: { scheduledTime: at(-1) } }),
      proposed: makeState("PENDING"),
      run,
      deps,
      policy: CoreFlowPolicy,
      policies: flowRunPolicies,
    });
    expect(result.status).toBe("ACCEPT");
    expect(result.context.ruleSignature).toContain("SecureFlowConcurrencySlots");
    expect(result.context.ruleSignature).toContain("SecureFlowConcurrencySlotsStrictly");
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
    expect(deps.leases.leases.size).toBe(1);
  });

  it("strict, forced: MinimalFlowPolicy never runs it (force is an operator override)", async () => {
    const { deps, run } = deployed(1, 1);
    const result = await runFlow({
      initial: makeState("SCHEDULED"),
      proposed: makeState("RUNNING"),
      run,
      deps,
      policy: CoreFlowPolicy,
      policies: flowRunPolicies,
      force: true,
    });
    expect(result.status).toBe("ACCEPT");
    expect(result.context.policyName).toBe("MinimalFlowPolicy");
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
  });
});
