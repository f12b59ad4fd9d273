import { describe, expect, it } from "vitest";
import type { StateType } from "../../../src/domain/index.ts";
import { SecureTaskConcurrencySlots } from "../../../src/orchestration/index.ts";
import { at, makeState } from "./support.ts";
import { FakeTaskDeps, FixedRandom, makeTaskRun, runTask, taskEndingRule } from "./task-support.ts";

const rules = [SecureTaskConcurrencySlots];
const ME = "task-run-1";

function deadlock(tag: string): string {
  return `The concurrency limit on tag "${tag}" is 0 and will deadlock if the task tries to run again.`;
}

function propose(deps: FakeTaskDeps, tags: string[], from: StateType | null = "PENDING") {
  return runTask({
    initial: from && makeState(from),
    proposed: makeState("RUNNING"),
    run: makeTaskRun({ tags }),
    deps,
    rules,
  });
}

describe("SecureTaskConcurrencySlots — V1 tag limits", () => {
  it.each<StateType | null>([null, "PENDING", "SCHEDULED", "FAILED"])(
    "%s → RUNNING with room takes one holder row per limited tag, expiring after 300 s",
    async (from) => {
      const deps = new FakeTaskDeps();
      deps.tagLimits.add("a", 2);
      deps.tagLimits.add("b", 1);
      const result = await propose(deps, ["b", "a", "unlimited", "a"], from);

      expect(result.status).toBe("ACCEPT");
      expect(deps.tagLimits.holdersOf("a")).toEqual([ME]);
      expect(deps.tagLimits.holdersOf("b")).toEqual([ME]);
      expect(deps.tagLimits.expiryOf("a", ME)).toEqual(at(300));
      expect(deps.tagLimits.locked).toEqual([["a", "b"]]);
    },
  );

  it("a full tag → WAIT for the tag wait setting", async () => {
    const deps = new FakeTaskDeps();
    deps.tagLimits.add("a", 1, ["other"]);
    const result = await propose(deps, ["a"]);
    expect(result.status).toBe("WAIT");
    expect(result.details).toEqual({
      type: "wait_details",
      delaySeconds: 10,
      reason: "Concurrency limit for the a tag has been reached",
    });
    expect(deps.tagLimits.holdersOf("a")).toEqual(["other"]);
  });

  it("the V1 wait is the setting truncated to whole seconds", async () => {
    const deps = new FakeTaskDeps();
    deps.settings = { ...deps.settings, tagConcurrencySlotWaitSeconds: 7.9 };
    deps.tagLimits.add("a", 1, ["other"]);
    const result = await propose(deps, ["a"]);
    expect(result.details).toMatchObject({ delaySeconds: 7 });
  });

  it("a zero limit → ABORT", async () => {
    const deps = new FakeTaskDeps();
    deps.tagLimits.add("a", 0);
    const result = await propose(deps, ["a"]);
    expect(result.details).toEqual({ type: "abort_details", reason: deadlock("a") });
  });

  it("§8.1.3 a full tag stops the loop: later tags get no holder, earlier ones are given back", async () => {
    const deps = new FakeTaskDeps();
    deps.tagLimits.add("a", 5);
    deps.tagLimits.add("b", 1, ["other"]);
    deps.tagLimits.add("c", 5);
    const result = await propose(deps, ["a", "b", "c"]);
    expect(result.details).toMatchObject({
      reason: "Concurrency limit for the b tag has been reached",
    });
    expect(deps.tagLimits.holders.filter((h) => h.taskRunId === ME)).toEqual([]);
  });

  it("§8.1.3 a zero tag after a free one → ABORT, nothing held", async () => {
    const deps = new FakeTaskDeps();
    deps.tagLimits.add("a", 5);
    deps.tagLimits.add("b", 0);
    deps.tagLimits.add("c", 1, ["other"]);
    const result = await propose(deps, ["a", "b", "c"]);
    expect(result.details).toEqual({ type: "abort_details", reason: deadlock("b") });
    expect(deps.tagLimits.holders.filter((h) => h.taskRunId === ME)).toEqual([]);
  });

  it("§8.2.7 the holder of a limit-1 tag re-proposing RUNNING → RUNNING is not made to wait on itself", async () => {
    const deps = new FakeTaskDeps();
    deps.tagLimits.add("a", 1, [ME]);
    const result = await propose(deps, ["a"], "RUNNING");
    expect(result.status).toBe("ACCEPT");
    expect(deps.tagLimits.holdersOf("a")).toEqual([ME]);
  });

  it("§8.2.7 a holder takes no second slot, and keeps its slot when another tag is full", async () => {
    const deps = new FakeTaskDeps();
    deps.tagLimits.add("a", 3, [ME]);
    deps.tagLimits.add("b", 1, ["other"]);
    const result = await propose(deps, ["a", "b"], "RUNNING");
    expect(result.status).toBe("WAIT");
    expect(deps.tagLimits.holdersOf("a")).toEqual([ME]);
  });
});

describe("SecureTaskConcurrencySlots — V2 tag limits", () => {
  it("takes one slot on every active tag:<tag> limit with one lease held by the task run", async () => {
    const deps = new FakeTaskDeps();
    deps.addTagLimitV2("a", 2);
    deps.addTagLimitV2("b", 1);
    const result = await propose(deps, ["b", "a"]);

    expect(result.status).toBe("ACCEPT");
    expect(deps.globalLimits.slots("v2-a")).toBe(1);
    expect(deps.globalLimits.slots("v2-b")).toBe(1);
    expect([...deps.leases.leases.values()]).toMatchObject([
      {
        resourceIds: ["v2-a", "v2-b"],
        expiration: at(300),
        metadata: { slots: 1, holder: { type: "task_run", id: ME } },
      },
    ]);
  });

  it.each([
    { name: "random 0.5, occupancy 2 s", random: 0.5, avg: 2, delay: 2 },
    { name: "random 0, occupancy 10 s (lower clamp 7.52 → 8)", random: 0, avg: 10, delay: 8 },
    { name: "random ~1, occupancy 10 s (upper clamp 13)", random: 0.999999, avg: 10, delay: 13 },
    { name: "occupancy 60 s is capped at the 10 s wait", random: 0.5, avg: 60, delay: 10 },
    { name: "occupancy 0 falls back to the 10 s wait", random: 0.5, avg: 0, delay: 10 },
  ])(
    "a full V2 limit → WAIT with a clamped Poisson delay ($name)",
    async ({ random, avg, delay }) => {
      const deps = new FakeTaskDeps();
      deps.random = new FixedRandom(random);
      deps.addTagLimitV2("a", 1, { activeSlots: 1, avgSlotOccupancySeconds: avg });
      deps.addTagLimitV2("b", 5);
      const result = await propose(deps, ["a", "b"]);
      expect(result.details).toEqual({
        type: "wait_details",
        delaySeconds: delay,
        reason: "Concurrency limit reached for tags: a, b",
      });
      expect(deps.globalLimits.slots("v2-b")).toBe(0);
      expect(deps.leases.leases.size).toBe(0);
    },
  );

  it("the fullest limit (by active/limit) sets the average", async () => {
    const deps = new FakeTaskDeps();
    deps.addTagLimitV2("a", 10, { activeSlots: 9, avgSlotOccupancySeconds: 4 });
    deps.addTagLimitV2("b", 1, { activeSlots: 1, avgSlotOccupancySeconds: 2 });
    const result = await propose(deps, ["a", "b"]);
    expect(result.details).toMatchObject({ delaySeconds: 2 });
  });

  it("§8.3.2 a zero tag wait setting gives a zero delay, no division by zero", async () => {
    const deps = new FakeTaskDeps();
    deps.settings = { ...deps.settings, tagConcurrencySlotWaitSeconds: 0 };
    deps.addTagLimitV2("a", 1, { activeSlots: 1, avgSlotOccupancySeconds: 0 });
    const result = await propose(deps, ["a"]);
    expect(result.details).toMatchObject({ type: "wait_details", delaySeconds: 0 });
  });

  it("§8.1.1 a zero V2 limit aborts before any slot is taken", async () => {
    const deps = new FakeTaskDeps();
    deps.addTagLimitV2("a", 5);
    deps.addTagLimitV2("z", 0);
    deps.tagLimits.add("v1", 5);
    const result = await propose(deps, ["a", "z", "v1"]);
    expect(result.details).toEqual({ type: "abort_details", reason: deadlock("z") });
    expect(deps.globalLimits.slots("v2-a")).toBe(0);
    expect(deps.leases.leases.size).toBe(0);
    expect(deps.tagLimits.holdersOf("v1")).toEqual([]);
  });

  it("§8.1.2 a full V1 tag gives back the V2 slot taken in the same call", async () => {
    const deps = new FakeTaskDeps();
    deps.addTagLimitV2("a", 5);
    deps.tagLimits.add("b", 1, ["other"]);
    const result = await propose(deps, ["a", "b"]);
    expect(result.status).toBe("WAIT");
    expect(deps.globalLimits.slots("v2-a")).toBe(0);
    expect(deps.leases.leases.size).toBe(0);
  });

  it("§8.1.4 a V1 limit shadowed by an active V2 limit is ignored, even next to a V1-only tag", async () => {
    const deps = new FakeTaskDeps();
    deps.addTagLimitV2("a", 5);
    deps.tagLimits.add("a", 1, ["other"]);
    deps.tagLimits.add("b", 5);
    const result = await propose(deps, ["a", "b"]);
    expect(result.status).toBe("ACCEPT");
    expect(deps.tagLimits.holdersOf("a")).toEqual(["other"]);
    expect(deps.tagLimits.holdersOf("b")).toEqual([ME]);
    expect(deps.globalLimits.slots("v2-a")).toBe(1);
  });

  it("an inactive V2 limit leaves the tag to its V1 limit", async () => {
    const deps = new FakeTaskDeps();
    deps.addTagLimitV2("a", 0, { active: false });
    deps.tagLimits.add("a", 2);
    const result = await propose(deps, ["a"]);
    expect(result.status).toBe("ACCEPT");
    expect(deps.tagLimits.holdersOf("a")).toEqual([ME]);
  });

  it("§8.1.5 RUNNING → RUNNING by the holder takes no second V2 slot or lease", async () => {
    const deps = new FakeTaskDeps();
    deps.addTagLimitV2("a", 1, { activeSlots: 1 });
    deps.leases.seed("lease-0", "v2-a", { type: "task_run", id: ME });
    const result = await propose(deps, ["a"], "RUNNING");
    expect(result.status).toBe("ACCEPT");
    expect(deps.globalLimits.slots("v2-a")).toBe(1);
    expect([...deps.leases.leases.keys()]).toEqual(["lease-0"]);
  });

  it("§8.1.5 a holder of one V2 limit takes a slot only on the other", async () => {
    const deps = new FakeTaskDeps();
    deps.addTagLimitV2("a", 1, { activeSlots: 1 });
    deps.addTagLimitV2("b", 1);
    deps.leases.seed("lease-0", "v2-a", { type: "task_run", id: ME });
    const result = await propose(deps, ["a", "b"], "RUNNING");
    expect(result.status).toBe("ACCEPT");
    expect(deps.globalLimits.slots("v2-a")).toBe(1);
    expect(deps.globalLimits.slots("v2-b")).toBe(1);
    expect(deps.leases.leases.get("lease-1")?.resourceIds).toEqual(["v2-b"]);
  });
});

describe("SecureTaskConcurrencySlots — giving back", () => {
  it("§8.1.6 §8.1.9 gives back V1 and V2 slots when a later rule nullifies the transition", async () => {
    const deps = new FakeTaskDeps();
    deps.addTagLimitV2("a", 5);
    deps.tagLimits.add("b", 5, [ME]);
    deps.tagLimits.add("c", 5);
    const result = await runTask({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      run: makeTaskRun({ tags: ["a", "b", "c"] }),
      deps,
      rules: [...rules, taskEndingRule("Later", { delay: 5, reason: "later" })],
    });
    expect(result.context.fizzledRules).toEqual(["SecureTaskConcurrencySlots"]);
    expect(deps.globalLimits.slots("v2-a")).toBe(0);
    expect(deps.leases.leases.size).toBe(0);
    expect(deps.tagLimits.holdersOf("c")).toEqual([]);
    // A slot held before this call is not this call's to give back.
    expect(deps.tagLimits.holdersOf("b")).toEqual([ME]);
  });

  it("a task without tags touches no limit", async () => {
    const deps = new FakeTaskDeps();
    const result = await propose(deps, []);
    expect(result.status).toBe("ACCEPT");
    expect(deps.tagLimits.locked).toEqual([]);
  });
});
