/**
 * CacheRetrieval (spec §4.2): a task whose result is already cached does not run again.
 * When a RUNNING proposal names a cache key (and does not ask to refresh the cache), the
 * newest unexpired cached state for that key is copied (new id, timestamp now, named
 * "Cached") and committed instead, so the client adopts the cached result. It comes first in
 * the task policies on purpose: a cached result is returned even when the task's tag slots
 * are full.
 */
import { freshCopy, type State, StateType, type TaskRun } from "../../domain/index.ts";
import type { TaskOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { ALL_ORCHESTRATION_STATES, stateTypes } from "../step.ts";
import type { TaskContext } from "../task-context.ts";

/** Rejects a RUNNING proposal into the cached state for its cache key, if there is one. */
export class CacheRetrieval extends OrchestrationRule<TaskRun, TaskOrchestrationDeps> {
  static override readonly ruleName = "CacheRetrieval";
  static override readonly FROM_STATES = ALL_ORCHESTRATION_STATES;
  static override readonly TO_STATES = stateTypes(StateType.RUNNING);

  protected override async beforeTransition(
    _initial: State | null,
    proposed: State | null,
    context: TaskContext,
  ): Promise<void> {
    const cacheKey = proposed?.stateDetails.cacheKey;
    if (!cacheKey || proposed?.stateDetails.refreshCache) return;
    const { deps } = context;
    const now = deps.clock.now();
    const cached = await deps.cache.findCachedState(cacheKey, now);
    if (cached === null) return;
    const state = freshCopy(cached, deps.ids.newId(), now);
    state.name = "Cached";
    this.rejectTransition(state, "Retrieved state from cache");
  }
}
