import { describe, expect, it } from "vitest";
import type { StateType } from "../../../src/domain/index.ts";
import { CacheRetrieval } from "../../../src/orchestration/index.ts";
import { at, makeState, T0 } from "./support.ts";
import { FakeTaskDeps, runTask } from "./task-support.ts";

const rules = [CacheRetrieval];

function withCachedState(expiration: Date | null = null) {
  const deps = new FakeTaskDeps();
  const cached = makeState("COMPLETED", {
    message: "done",
    data: { type: "reference", key: "a" },
    stateDetails: { taskRunId: "task-run-0", cacheKey: "K" },
  });
  deps.cache.seed(
    { cacheKey: "K", cacheExpiration: expiration, taskRunStateId: cached.id },
    cached,
  );
  return { deps, cached };
}

describe("CacheRetrieval", () => {
  it.each<{ name: string; from: StateType | null }>([
    { name: "PENDING → RUNNING", from: "PENDING" },
    { name: "SCHEDULED → RUNNING", from: "SCHEDULED" },
    { name: "no state → RUNNING", from: null },
  ])("$name with a cached key → REJECT into a fresh COMPLETED 'Cached' copy", async ({ from }) => {
    const { deps, cached } = withCachedState(at(60));
    const result = await runTask({
      initial: from && makeState(from),
      proposed: makeState("RUNNING", { stateDetails: { cacheKey: "K" } }),
      deps,
      rules,
    });

    expect(result.status).toBe("REJECT");
    expect(result.details).toEqual({
      type: "reject_details",
      reason: "Retrieved state from cache",
    });
    expect(result.state).toMatchObject({
      type: "COMPLETED",
      name: "Cached",
      message: "done",
      data: { type: "reference", key: "a" },
      timestamp: T0,
    });
    expect(result.state?.id).not.toBe(cached.id);
    expect(cached.name).toBe("Completed");
  });

  it.each([
    { name: "no cache key", details: {} },
    { name: "refresh_cache", details: { cacheKey: "K", refreshCache: true } },
    { name: "an unknown key", details: { cacheKey: "other" } },
  ])("PENDING → RUNNING with $name → ACCEPT", async ({ details }) => {
    const { deps } = withCachedState();
    const result = await runTask({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING", { stateDetails: details }),
      deps,
      rules,
    });
    expect(result.status).toBe("ACCEPT");
    expect(result.state?.name).toBe("Running");
  });

  it.each([
    { name: "an expired entry is ignored", expiration: at(-1) },
    { name: "an entry expiring now is ignored", expiration: T0 },
  ])("$name", async ({ expiration }) => {
    const { deps } = withCachedState(expiration);
    const result = await runTask({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING", { stateDetails: { cacheKey: "K" } }),
      deps,
      rules,
    });
    expect(result.status).toBe("ACCEPT");
  });

  it("the newest entry wins, and a missing state row is a miss (no fallback)", async () => {
    const { deps } = withCachedState();
    deps.cache.seed({ cacheKey: "K", cacheExpiration: null, taskRunStateId: "gone" }, null);
    const result = await runTask({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING", { stateDetails: { cacheKey: "K" } }),
      deps,
      rules,
    });
    expect(result.status).toBe("ACCEPT");
  });
});
