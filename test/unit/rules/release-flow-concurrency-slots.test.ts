import { describe, expect, it } from "vitest";
import type { StateType } from "../../../src/domain/index.ts";
import { ReleaseFlowConcurrencySlots } from "../../../src/orchestration/index.ts";
import { endingRule, FakeFlowDeps, makeFlowRun, makeState, runFlow } from "./support.ts";

const transforms = [ReleaseFlowConcurrencySlots];

/** A deployed run holding `lease-0` (one slot of a limit of 2) unless told otherwise. */
function holding(
  options: { leaseHolder?: string | null; seeded?: boolean; active?: boolean } = {},
) {
  const deps = new FakeFlowDeps();
  const run = makeFlowRun({ deploymentId: "dep-1" });
  deps.globalLimits.add("limit-1", 2, { activeSlots: 1, active: options.active ?? true });
  deps.deployments.add("dep-1", "limit-1");
  const holderId = options.leaseHolder === undefined ? run.id : options.leaseHolder;
  if (options.seeded ?? true) {
    deps.leases.seed(
      "lease-0",
      "limit-1",
      holderId === null ? null : { type: "flow_run", id: holderId },
    );
  }
  return { deps, run };
}

function leased(type: StateType) {
  return makeState(type, { stateDetails: { deploymentConcurrencyLeaseId: "lease-0" } });
}

describe("ReleaseFlowConcurrencySlots", () => {
  it.each<[StateType, StateType]>([
    ["RUNNING", "COMPLETED"],
    ["RUNNING", "FAILED"],
    ["RUNNING", "SCHEDULED"],
    ["RUNNING", "PAUSED"],
    ["PENDING", "CRASHED"],
    ["PENDING", "SCHEDULED"],
    ["CANCELLING", "CANCELLED"],
  ])("%s → %s releases the run's lease", async (from, to) => {
    const { deps, run } = holding();
    await runFlow({ initial: leased(from), proposed: makeState(to), run, deps, transforms });
    expect(deps.globalLimits.slots("limit-1")).toBe(0);
    expect(deps.leases.leases.has("lease-0")).toBe(false);
  });

  it.each<[StateType, StateType]>([
    ["PENDING", "RUNNING"],
    ["RUNNING", "CANCELLING"],
    ["RUNNING", "RUNNING"],
    ["SCHEDULED", "COMPLETED"],
    ["COMPLETED", "FAILED"],
  ])("%s → %s keeps the slot", async (from, to) => {
    const { deps, run } = holding();
    await runFlow({ initial: leased(from), proposed: makeState(to), run, deps, transforms });
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
  });

  it("does nothing on a nullified transition", async () => {
    const { deps, run } = holding();
    await runFlow({
      initial: leased("RUNNING"),
      proposed: makeState("COMPLETED"),
      run,
      deps,
      rules: [endingRule("Stop", { abort: "stop" })],
      transforms,
    });
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
  });

  it("does nothing for runs without a deployment", async () => {
    const { deps } = holding();
    await runFlow({
      initial: leased("RUNNING"),
      proposed: makeState("COMPLETED"),
      deps,
      transforms,
    });
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
  });

  it("releases by holder when the current state lost its lease id (e.g. after a forced transition)", async () => {
    const { deps, run } = holding();
    await runFlow({
      initial: makeState("RUNNING"),
      proposed: makeState("COMPLETED"),
      run,
      deps,
      transforms,
    });
    expect(deps.globalLimits.slots("limit-1")).toBe(0);
    expect(deps.leases.leases.size).toBe(0);
  });

  it("§8.1.8 a lease the reaper already deleted is not decremented again", async () => {
    const { deps, run } = holding({ seeded: false });
    await runFlow({
      initial: leased("PENDING"),
      proposed: makeState("CANCELLED"),
      run,
      deps,
      transforms,
    });
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
  });

  it("§8.1.8 a run that never took a slot frees nobody else's", async () => {
    const { deps, run } = holding({ leaseHolder: "another-run" });
    await runFlow({
      initial: makeState("RUNNING"),
      proposed: makeState("COMPLETED"),
      run,
      deps,
      transforms,
    });
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
    expect(deps.leases.leases.has("lease-0")).toBe(true);
  });

  it("§8.1.8 a lease id naming another run's lease frees nothing", async () => {
    const { deps, run } = holding({ leaseHolder: "another-run" });
    await runFlow({
      initial: leased("RUNNING"),
      proposed: makeState("COMPLETED"),
      run,
      deps,
      transforms,
    });
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
    expect(deps.leases.leases.has("lease-0")).toBe(true);
  });

  it("§8.1.10 releases on an inactive limit", async () => {
    const { deps, run } = holding({ active: false });
    const result = await runFlow({
      initial: leased("RUNNING"),
      proposed: makeState("COMPLETED"),
      run,
      deps,
      transforms,
    });
    expect(result.status).toBe("ACCEPT");
    expect(deps.globalLimits.slots("limit-1")).toBe(0);
    expect(deps.leases.leases.size).toBe(0);
  });

  it("fails the transition when a limit of the lease is gone", async () => {
    const { deps, run } = holding();
    deps.globalLimits.limits.delete("limit-1");
    await expect(
      runFlow({
        initial: leased("RUNNING"),
        proposed: makeState("COMPLETED"),
        run,
        deps,
        transforms,
      }),
    ).rejects.toThrow("Failed to release concurrency slots for lease lease-0");
  });
});
