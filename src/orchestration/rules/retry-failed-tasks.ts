/**
 * RetryFailedTasks (spec §4.2): a task with retries left does not fail; it is rescheduled
 * as "AwaitingRetry" (carrying the failure's message and data) after its retry delay. The
 * delay is one number, or one per attempt (the last one repeats), optionally jittered with
 * Prefect's clamped Poisson interval. A client that says the failure is not retriable
 * (`retriable: false`) fails for good. `run_count` grows on entering RUNNING, so `retries =
 * N` allows N + 1 attempts.
 *
 * Fix §8.3.2: no jitter (and no division by zero) for a zero delay. An empty delay list
 * counts as no delay (Prefect raises IndexError).
 */
import { type State, StateType, type TaskRun, type TaskRunPolicy } from "../../domain/index.ts";
import { timeAfterDelay } from "../delayed-time.ts";
import { clampedPoissonInterval } from "../jitter.ts";
import { newState } from "../new-state.ts";
import type { RandomSource, TaskOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { stateTypes } from "../step.ts";
import type { TaskContext } from "../task-context.ts";

/**
 * The delay before retry number `runCount` (1-based attempt that just failed), in seconds:
 * `retry_delay[min(n − 1, len − 1)]` for a list (a negative index counts from the end, as in
 * Python), else `retry_delay or 0`; jittered when a jitter factor is set and the delay is
 * positive and finite (jittering an infinite delay would give NaN).
 */
export function taskRetryDelaySeconds(
  policy: TaskRunPolicy,
  runCount: number,
  random: RandomSource,
): number {
  const delays = policy.retryDelay;
  let base = 0;
  if (Array.isArray(delays)) {
    if (delays.length > 0) {
      const index = Math.min(runCount - 1, delays.length - 1);
      base = delays.at(index) ?? 0;
    }
  } else {
    base = delays || 0;
  }
  const jitter = policy.retryJitterFactor;
  return jitter && base > 0 && Number.isFinite(base)
    ? clampedPoissonInterval(base, jitter, random)
    : base;
}

/** Turns RUNNING → FAILED into AwaitingRetry while retries remain. */
export class RetryFailedTasks extends OrchestrationRule<TaskRun, TaskOrchestrationDeps> {
  static override readonly ruleName = "RetryFailedTasks";
  static override readonly FROM_STATES = stateTypes(StateType.RUNNING);
  static override readonly TO_STATES = stateTypes(StateType.FAILED);

  protected override async beforeTransition(
    initial: State | null,
    proposed: State | null,
    context: TaskContext,
  ): Promise<void> {
    if (initial === null || proposed === null) return;
    const { run, deps } = context;
    const policy = run.empiricalPolicy;
    const delay = taskRetryDelaySeconds(policy, run.runCount, deps.random);
    if (proposed.stateDetails.retriable === false) return;
    if (policy.retries === null || run.runCount > policy.retries) return;
    const scheduledTime = timeAfterDelay(deps.clock.now(), delay);
    this.rejectTransition(
      newState(deps, {
        type: StateType.SCHEDULED,
        name: "AwaitingRetry",
        message: proposed.message,
        data: proposed.data,
        stateDetails: { scheduledTime },
      }),
      "Retrying",
    );
  }
}
