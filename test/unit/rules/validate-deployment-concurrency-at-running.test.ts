import { describe, expect, it } from "vitest";
import {
  ValidateDeploymentConcurrencyAtRunning,
  WaitForScheduledTime,
} from "../../../src/orchestration/index.ts";
import { at, FakeFlowDeps, makeFlowRun, makeState, outcome, runFlow } from "./support.ts";

const rules = [ValidateDeploymentConcurrencyAtRunning];

/** A deployed run in PENDING holding `lease-0` (seeded unless `reaped`) on a limit of `limit`. */
function pendingWithLease(limit: number, taken: number, reaped: boolean) {
  const deps = new FakeFlowDeps();
  deps.globalLimits.add("limit-1", limit, { activeSlots: taken });
  deps.deployments.add("dep-1", "limit-1");
  const run = makeFlowRun({ deploymentId: "dep-1" });
  if (!reaped) deps.leases.seed("lease-0", "limit-1", { type: "flow_run", id: run.id }, 10);
  const initial = makeState("PENDING", {
    stateDetails: { deploymentConcurrencyLeaseId: "lease-0" },
  });
  return { deps, run, initial };
}

describe("ValidateDeploymentConcurrencyAtRunning", () => {
  it("renews a live lease for the grace period and keeps its id", async () => {
    const { deps, run, initial } = pendingWithLease(1, 1, false);
    const result = await runFlow({ initial, proposed: makeState("RUNNING"), run, deps, rules });

    expect(result.status).toBe("ACCEPT");
    expect(result.state?.stateDetails.deploymentConcurrencyLeaseId).toBe("lease-0");
    expect(deps.leases.leases.get("lease-0")?.expiration).toEqual(at(300));
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
  });

  it("overwrites a lease id the client sent with the current state's", async () => {
    const { deps, run, initial } = pendingWithLease(1, 1, false);
    const proposed = makeState("RUNNING", {
      stateDetails: { deploymentConcurrencyLeaseId: "forged" },
    });
    const result = await runFlow({ initial, proposed, run, deps, rules });
    expect(result.state?.stateDetails.deploymentConcurrencyLeaseId).toBe("lease-0");
  });

  it("sets a null lease id when the current state has none (and does nothing else)", async () => {
    const deps = new FakeFlowDeps();
    const proposed = makeState("RUNNING", { stateDetails: { deploymentConcurrencyLeaseId: "x" } });
    const result = await runFlow({ initial: makeState("PENDING"), proposed, deps, rules });
    expect(result.state?.stateDetails.deploymentConcurrencyLeaseId).toBeNull();
    expect(deps.deployments.reads).toBe(0);
  });

  it("re-acquires a slot when the lease was reaped and one is free", async () => {
    const { deps, run, initial } = pendingWithLease(1, 0, true);
    const result = await runFlow({ initial, proposed: makeState("RUNNING"), run, deps, rules });

    expect(result.status).toBe("ACCEPT");
    expect(result.state?.stateDetails.deploymentConcurrencyLeaseId).toBe("lease-1");
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
    expect(deps.leases.leases.get("lease-1")?.metadata.holder).toEqual({
      type: "flow_run",
      id: run.id,
    });
  });

  it("cancels the run when the lease was reaped and the limit is full", async () => {
    const { deps, run, initial } = pendingWithLease(1, 1, true);
    const result = await runFlow({ initial, proposed: makeState("RUNNING"), run, deps, rules });

    expect(outcome(result)).toEqual({
      status: "REJECT",
      details: {
        type: "reject_details",
        reason: "Deployment concurrency limit reached after lease expiry.",
      },
    });
    expect(result.state).toMatchObject({
      type: "CANCELLED",
      name: "Cancelled",
      message:
        "Deployment concurrency slot lost during provisioning - no slots available to continue execution",
    });
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
  });

  it.each([
    { name: "no deployment", deploymentId: null },
    { name: "a missing deployment", deploymentId: "gone" },
  ])("a run with $name keeps the lease id and takes nothing", async ({ deploymentId }) => {
    const deps = new FakeFlowDeps();
    const initial = makeState("PENDING", {
      stateDetails: { deploymentConcurrencyLeaseId: "lease-0" },
    });
    const result = await runFlow({
      initial,
      proposed: makeState("RUNNING"),
      run: makeFlowRun({ deploymentId }),
      deps,
      rules,
    });
    expect(result.status).toBe("ACCEPT");
    expect(result.state?.stateDetails.deploymentConcurrencyLeaseId).toBe("lease-0");
  });

  it("§8.1.9 a slot re-acquired at RUNNING is given back when a later rule nullifies the transition", async () => {
    const { deps, run } = pendingWithLease(1, 0, true);
    const initial = makeState("PENDING", {
      stateDetails: { deploymentConcurrencyLeaseId: "lease-0", scheduledTime: at(120) },
    });

    const result = await runFlow({
      initial,
      proposed: makeState("RUNNING"),
      run,
      deps,
      rules: [ValidateDeploymentConcurrencyAtRunning, WaitForScheduledTime],
    });

    expect(result.status).toBe("WAIT");
    expect(result.context.fizzledRules).toEqual(["ValidateDeploymentConcurrencyAtRunning"]);
    expect(deps.globalLimits.slots("limit-1")).toBe(0);
    expect(deps.leases.leases.size).toBe(0);
    expect(result.state?.stateDetails.deploymentConcurrencyLeaseId).toBe("lease-0");
  });
});
