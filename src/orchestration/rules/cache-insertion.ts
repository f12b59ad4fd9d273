/**
 * CacheInsertion (spec §4.2): a COMPLETED task state that names a cache key is recorded in
 * the cache (with the state's cache expiration), so later runs with that key can reuse it.
 *
 * An over-long key is "rejected" into the same state, so the state is still committed (a
 * REJECT with the proposed state), as in Prefect; unlike Prefect it is then never inserted
 * into the cache (Fix §8.3.7: an over-long key can exceed PostgreSQL's B-tree row limit).
 */
import { type State, StateType, type TaskRun } from "../../domain/index.ts";
import type { TaskOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { ALL_ORCHESTRATION_STATES, stateTypes } from "../step.ts";
import type { TaskContext } from "../task-context.ts";

/** Length in characters (code points, as Python's `len`). */
function characters(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** Caches COMPLETED states that carry a cache key of acceptable length. */
export class CacheInsertion extends OrchestrationRule<TaskRun, TaskOrchestrationDeps> {
  static override readonly ruleName = "CacheInsertion";
  static override readonly FROM_STATES = ALL_ORCHESTRATION_STATES;
  static override readonly TO_STATES = stateTypes(StateType.COMPLETED);

  /** Set when this transition's key is too long: it must not reach the cache. */
  #keyTooLong = false;

  protected override async beforeTransition(
    _initial: State | null,
    proposed: State | null,
    context: TaskContext,
  ): Promise<void> {
    const cacheKey = proposed?.stateDetails.cacheKey;
    if (proposed === null || !cacheKey) return;
    const max = context.deps.settings.maxCacheKeyLength;
    if (characters(cacheKey) > max) {
      this.#keyTooLong = true;
      this.rejectTransition(
        proposed,
        `Cache key exceeded maximum allowed length of ${max} characters.`,
      );
    }
  }

  protected override async afterTransition(
    _initial: State | null,
    validated: State | null,
    context: TaskContext,
  ): Promise<void> {
    const cacheKey = validated?.stateDetails.cacheKey;
    if (validated === null || !cacheKey || this.#keyTooLong) return;
    await context.deps.cache.insertCacheEntry({
      cacheKey,
      cacheExpiration: validated.stateDetails.cacheExpiration ?? null,
      taskRunStateId: validated.id,
    });
  }
}
