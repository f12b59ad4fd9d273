import { describe, expect, it } from "vitest";
import { CacheInsertion } from "../../../src/orchestration/index.ts";
import { at, makeState } from "./support.ts";
import { FakeTaskDeps, runTask, taskEndingRule } from "./task-support.ts";

const rules = [CacheInsertion];

describe("CacheInsertion", () => {
  it.each([
    { name: "with an expiration", expiration: at(600) },
    { name: "without an expiration", expiration: null },
  ])(
    "RUNNING → COMPLETED with a cache key $name → cache row for the state",
    async ({ expiration }) => {
      const deps = new FakeTaskDeps();
      const result = await runTask({
        initial: makeState("RUNNING"),
        proposed: makeState("COMPLETED", {
          stateDetails: { cacheKey: "K", cacheExpiration: expiration },
        }),
        deps,
        rules,
      });
      expect(result.status).toBe("ACCEPT");
      expect(deps.cache.entries).toEqual([
        { cacheKey: "K", cacheExpiration: expiration, taskRunStateId: result.state?.id },
      ]);
    },
  );

  it("RUNNING → COMPLETED without a cache key caches nothing", async () => {
    const deps = new FakeTaskDeps();
    await runTask({ initial: makeState("RUNNING"), proposed: makeState("COMPLETED"), deps, rules });
    expect(deps.cache.entries).toEqual([]);
  });

  it("a key of exactly the maximum length is cached", async () => {
    const deps = new FakeTaskDeps();
    deps.settings = { ...deps.settings, maxCacheKeyLength: 5 };
    const result = await runTask({
      initial: makeState("RUNNING"),
      proposed: makeState("COMPLETED", { stateDetails: { cacheKey: "ééééé" } }),
      deps,
      rules,
    });
    expect(result.status).toBe("ACCEPT");
    expect(deps.cache.entries).toHaveLength(1);
  });

  it("§8.3.7 an over-long key: REJECT into the same COMPLETED state, never cached", async () => {
    const deps = new FakeTaskDeps();
    const proposed = makeState("COMPLETED", { stateDetails: { cacheKey: "k".repeat(2001) } });
    const result = await runTask({ initial: makeState("RUNNING"), proposed, deps, rules });

    expect(result.status).toBe("REJECT");
    expect(result.details).toEqual({
      type: "reject_details",
      reason: "Cache key exceeded maximum allowed length of 2000 characters.",
    });
    expect(result.state).toMatchObject({ id: proposed.id, type: "COMPLETED" });
    expect(deps.cache.entries).toEqual([]);
  });

  it("caches nothing when a later rule nullifies the transition", async () => {
    const deps = new FakeTaskDeps();
    const result = await runTask({
      initial: makeState("RUNNING"),
      proposed: makeState("COMPLETED", { stateDetails: { cacheKey: "K" } }),
      deps,
      rules: [...rules, taskEndingRule("Stop", { abort: "stop" })],
    });
    expect(result.status).toBe("ABORT");
    expect(deps.cache.entries).toEqual([]);
  });
});
