import { describe, expect, it } from "vitest";
import { ConcurrencySlotReleaseError, type StateType } from "../../../src/domain/index.ts";
import { ReleaseTaskConcurrencySlots, RetryFailedTasks } from "../../../src/orchestration/index.ts";
import { at, makeState } from "./support.ts";
import {
  FakeTaskDeps,
  FakeTaskStateWriter,
  makeTaskRun,
  runTask,
  taskEndingRule,
} from "./task-support.ts";

const transforms = [ReleaseTaskConcurrencySlots];
const ME = "task-run-1";

/** A task run holding V1 tag "a" and a V2 lease on tag "b"; someone else holds both too. */
function holding() {
  const deps = new FakeTaskDeps();
  deps.tagLimits.add("a", 5, [ME, "other"]);
  deps.addTagLimitV2("b", 5, { activeSlots: 2 });
  deps.leases.seed("lease-mine", "v2-b", { type: "task_run", id: ME });
  deps.leases.seed("lease-other", "v2-b", { type: "task_run", id: "other" });
  return { deps, run: makeTaskRun({ tags: ["a", "b"] }) };
}

describe("ReleaseTaskConcurrencySlots", () => {
  it.each<{ from: StateType; to: StateType }>([
    { from: "RUNNING", to: "COMPLETED" },
    { from: "RUNNING", to: "FAILED" },
    { from: "RUNNING", to: "SCHEDULED" },
    { from: "RUNNING", to: "PENDING" },
    { from: "RUNNING", to: "PAUSED" },
    { from: "CANCELLING", to: "CANCELLED" },
    { from: "PENDING", to: "CRASHED" },
  ])("$from → $to frees only the run's own V1 holder row and V2 lease", async ({ from, to }) => {
    const { deps, run } = holding();
    const result = await runTask({
      initial: makeState(from),
      proposed: makeState(to),
      run,
      deps,
      transforms,
    });
    expect(result.status).toBe("ACCEPT");
    expect(deps.tagLimits.holdersOf("a")).toEqual(["other"]);
    expect(deps.globalLimits.slots("v2-b")).toBe(1);
    expect([...deps.leases.leases.keys()]).toEqual(["lease-other"]);
  });

  it.each<{ from: StateType; to: StateType }>([
    { from: "RUNNING", to: "RUNNING" },
    { from: "RUNNING", to: "CANCELLING" },
  ])("$from → $to keeps the slots and moves their expiry to now + 300 s", async ({ from, to }) => {
    const { deps, run } = holding();
    deps.clock.current = at(200);
    await runTask({ initial: makeState(from), proposed: makeState(to), run, deps, transforms });
    expect(deps.tagLimits.holdersOf("a")).toEqual(["other", ME]);
    expect(deps.tagLimits.expiryOf("a", ME)).toEqual(at(500));
    expect(deps.tagLimits.expiryOf("a", "other")).toEqual(at(300));
    expect(deps.leases.leases.get("lease-mine")?.expiration).toEqual(at(500));
    expect(deps.leases.leases.get("lease-other")?.expiration).toEqual(at(300));
    expect(deps.globalLimits.slots("v2-b")).toBe(2);
  });

  it("releases when RUNNING → FAILED is rejected into AwaitingRetry", async () => {
    const { deps } = holding();
    const run = makeTaskRun({
      tags: ["a", "b"],
      runCount: 1,
      empiricalPolicy: { retries: 1, retryDelay: null, retryJitterFactor: null },
    });
    const result = await runTask({
      initial: makeState("RUNNING"),
      proposed: makeState("FAILED"),
      run,
      deps,
      rules: [RetryFailedTasks],
      transforms,
    });
    expect(result.state?.name).toBe("AwaitingRetry");
    expect(deps.tagLimits.holdersOf("a")).toEqual(["other"]);
    expect(deps.globalLimits.slots("v2-b")).toBe(1);
  });

  it("a nullified transition (WAIT/ABORT) releases and refreshes nothing", async () => {
    const { deps, run } = holding();
    deps.clock.current = at(200);
    await runTask({
      initial: makeState("RUNNING"),
      proposed: makeState("COMPLETED"),
      run,
      deps,
      rules: [taskEndingRule("Stop", { abort: "x" })],
      transforms,
    });
    expect(deps.tagLimits.holdersOf("a")).toEqual(["other", ME]);
    expect(deps.tagLimits.expiryOf("a", ME)).toEqual(at(300));
  });

  it("a failed validation releases nothing", async () => {
    const { deps, run } = holding();
    const writer = new FakeTaskStateWriter(deps);
    writer.failure = new Error("boom");
    const result = await runTask({
      initial: makeState("RUNNING"),
      proposed: makeState("COMPLETED"),
      run,
      deps,
      writer,
      transforms,
    });
    expect(result.status).toBe("ABORT");
    expect(deps.tagLimits.holdersOf("a")).toEqual(["other", ME]);
    expect(deps.globalLimits.slots("v2-b")).toBe(2);
  });

  it("§8.1.8 a run that holds nothing frees nobody else's slot", async () => {
    const { deps } = holding();
    await runTask({
      initial: makeState("RUNNING"),
      proposed: makeState("COMPLETED"),
      run: makeTaskRun({ id: "stranger", tags: ["a", "b"] }),
      deps,
      transforms,
    });
    expect(deps.tagLimits.holdersOf("a")).toEqual(["other", ME]);
    expect(deps.globalLimits.slots("v2-b")).toBe(2);
    expect(deps.leases.leases.size).toBe(2);
  });

  it("§8.1.10 releases on an inactive V2 limit", async () => {
    const { deps, run } = holding();
    deps.addTagLimitV2("b", 5, { activeSlots: 2, active: false });
    await runTask({
      initial: makeState("RUNNING"),
      proposed: makeState("COMPLETED"),
      run,
      deps,
      transforms,
    });
    expect(deps.globalLimits.slots("v2-b")).toBe(1);
    expect([...deps.leases.leases.keys()]).toEqual(["lease-other"]);
  });

  it("§8.1.7 a lease whose limit is gone fails the transition", async () => {
    const { deps, run } = holding();
    await deps.leases.createLease(["v2-b", "deleted"], 300, {
      slots: 1,
      holder: { type: "task_run", id: ME },
    });
    await expect(
      runTask({
        initial: makeState("RUNNING"),
        proposed: makeState("COMPLETED"),
        run,
        deps,
        transforms,
      }),
    ).rejects.toBeInstanceOf(ConcurrencySlotReleaseError);
  });
});
