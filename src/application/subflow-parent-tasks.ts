/**
 * Nested orchestration (spec §2.10): a subflow's validated state is forced onto the task
 * run that stands for it in the parent flow, inside the subflow transition's own transaction
 * — the parent task's state commits or rolls back with the subflow's. Lock order: the
 * subflow run row (already held), then the parent task run row.
 */
import type { State } from "../domain/index.ts";
import type { SubflowParentTasks } from "../orchestration/index.ts";
import { orchestrateIn } from "./run-use-cases.ts";
import type { TaskRunTransaction } from "./task-run-store.ts";
import { taskRunOrchestration } from "./task-runs.ts";

/** The {@link SubflowParentTasks} port over the task runs of the subflow's transaction. */
export function parentTasksIn(taskRuns: TaskRunTransaction): SubflowParentTasks {
  return {
    async forceParentTaskState(taskRunId: string, state: State): Promise<void> {
      const locked = await taskRuns.lock(taskRunId);
      if (locked === null) return; // the parent task run is gone: nothing to mirror onto
      await orchestrateIn(taskRunOrchestration, taskRuns, locked, state, true);
    },
  };
}
