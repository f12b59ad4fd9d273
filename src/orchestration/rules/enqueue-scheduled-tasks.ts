/**
 * EnqueueScheduledTasks (spec §4.2; BackgroundTaskPolicy), as the preface's "Replace" has
 * it: Prefect puts a deferred task run that enters SCHEDULED on an in-memory queue per task
 * key, before the transaction commits (§8.2.6: workers could receive a run whose SCHEDULED
 * state then rolled back, and a full queue blocked the request). Here there is no queue: the
 * committed SCHEDULED state is what task workers see (WatchTaskRun). The rule only tells the
 * optional, transactional {@link ScheduledTaskNotifier} which queue Prefect would have used:
 * "retry" for an "AwaitingRetry" state, else "scheduled".
 */
import { type State, StateType, type TaskRun } from "../../domain/index.ts";
import type { ScheduledTaskNotifier, TaskOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { ALL_ORCHESTRATION_STATES, stateTypes } from "../step.ts";
import type { TaskContext } from "../task-context.ts";

/** Announces deferred task runs committed into SCHEDULED. */
export class EnqueueScheduledTasks extends OrchestrationRule<TaskRun, TaskOrchestrationDeps> {
  static override readonly ruleName = "EnqueueScheduledTasks";
  static override readonly FROM_STATES = ALL_ORCHESTRATION_STATES;
  static override readonly TO_STATES = stateTypes(StateType.SCHEDULED);

  protected override async afterTransition(
    _initial: State | null,
    validated: State | null,
    context: TaskContext,
  ): Promise<void> {
    const notifier: ScheduledTaskNotifier | undefined = context.deps.scheduledTasks;
    if (validated === null || validated.stateDetails.deferred !== true) return;
    if (notifier === undefined) return;
    const queue = validated.name === "AwaitingRetry" ? "retry" : "scheduled";
    await notifier.notifyScheduled(context.run, queue);
  }
}
