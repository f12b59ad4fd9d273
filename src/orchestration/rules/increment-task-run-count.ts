/**
 * IncrementTaskRunCount (spec §4.3): a task run's `run_count` counts its attempts, which
 * RetryFailedTasks compares with `retries` and RenameReruns reads. Every RUNNING state the
 * run commits is a new attempt (tasks have no pause/resume exception, unlike flows).
 */
import type { TaskRun } from "../../domain/index.ts";
import type { TaskOrchestrationDeps } from "../ports.ts";
import type { TaskContext } from "../task-context.ts";
import { UniversalTransform } from "../transform.ts";

/** Counts every RUNNING state of a task run. */
export class IncrementTaskRunCount extends UniversalTransform<TaskRun, TaskOrchestrationDeps> {
  static override readonly ruleName = "IncrementTaskRunCount";

  protected override async beforeTransition(context: TaskContext): Promise<void> {
    if (context.proposedState?.type === "RUNNING") context.run.runCount += 1;
  }
}
