/**
 * Nested orchestration (spec §2.10): a subflow's validated state is forced onto the task run
 * that stands for it in the parent flow, inside the subflow transition's own transaction —
 * the parent task's state commits or rolls back with the subflow's. Lock order: the subflow
 * run row (already held), then the parent task run row.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { State } from "../../domain/index.ts";
import {
  orchestrateTransition,
  type SubflowParentTasks,
  taskRunPolicies,
} from "../../orchestration/index.ts";
import { PgTaskRunTransaction, type TaskRunStoreOptions } from "../task-run-store.ts";

export class PgSubflowParentTasks implements SubflowParentTasks {
  readonly #em: EntityManager;
  readonly #options: TaskRunStoreOptions;

  constructor(em: EntityManager, options: TaskRunStoreOptions) {
    this.#em = em;
    this.#options = options;
  }

  async forceParentTaskState(taskRunId: string, state: State): Promise<void> {
    const tx = new PgTaskRunTransaction(this.#em, this.#options);
    const locked = await tx.lockTaskRun(taskRunId);
    if (locked === null) return; // the parent task run is gone: nothing to mirror onto
    await orchestrateTransition({
      run: locked.run,
      initialState: locked.state,
      proposedState: state,
      policies: taskRunPolicies,
      force: true,
      deps: tx.deps,
      stateWriter: tx.stateWriter,
    });
    await tx.saveTaskRun(locked.run);
  }
}
