/**
 * Task-run use cases. SetTaskRunState is one transaction that row-locks the task run first
 * (Fix §8.2.3): concurrent proposals for one task run are serialized, so exactly one of N
 * racing PENDING → RUNNING proposals is accepted.
 */
import {
  buildState,
  RunNotFoundError,
  type State,
  type StateInit,
  type TaskRun,
} from "../domain/index.ts";
import {
  type Clock,
  CoreTaskPolicy,
  type IdGenerator,
  type OrchestrationResult,
  orchestrateTransition,
  type TaskOrchestrationDeps,
  taskRunPolicies,
} from "../orchestration/index.ts";
import { type Page, type PageRequest, readPage } from "./paging.ts";
import type {
  NewTaskRun,
  TaskRunFilter,
  TaskRunRecord,
  TaskRunStore,
  TaskRunTransaction,
} from "./task-run-store.ts";

export type TaskOrchestrationResult = OrchestrationResult<TaskRun, TaskOrchestrationDeps>;

export interface SetTaskRunStateCommand {
  readonly taskRunId: string;
  readonly state: StateInit;
  readonly force: boolean;
  readonly signal?: AbortSignal;
  /** Orchestrate in a transaction that is rolled back: report what would happen. */
  readonly dryRun?: boolean;
  /**
   * Runs in the same transaction after the orchestration, before commit (background
   * services drop a stale candidate by throwing here, which rolls the proposal back).
   */
  readonly beforeCommit?: (
    tx: TaskRunTransaction,
    result: TaskOrchestrationResult,
  ) => Promise<void>;
}

export class TaskRunUseCases {
  readonly #store: TaskRunStore;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;

  constructor(store: TaskRunStore, clock: Clock, ids: IdGenerator) {
    this.#store = store;
    this.#clock = clock;
    this.#ids = ids;
  }

  /** Creates the run (idempotent on flow run, task key, dynamic key) and forces its initial state. */
  async create(
    fields: NewTaskRun,
    initial: StateInit | null,
  ): Promise<{ record: TaskRunRecord; created: boolean }> {
    const { runId, created } = await this.#store.transaction(async (tx) => {
      const inserted = await tx.insertTaskRun(fields);
      if ("missing" in inserted) throw new RunNotFoundError("flow_run", fields.flowRunId ?? "");
      if (inserted.created) {
        await this.#orchestrate(
          tx,
          inserted.run,
          inserted.state,
          initial ?? { type: "PENDING" },
          true,
        );
      }
      return { runId: inserted.run.id, created: inserted.created };
    });
    return { record: await this.get(runId), created };
  }

  async get(taskRunId: string): Promise<TaskRunRecord> {
    const record = await this.#store.findTaskRun(taskRunId);
    if (record === null) throw new RunNotFoundError("task_run", taskRunId);
    return record;
  }

  list(filter: TaskRunFilter, page: PageRequest): Promise<Page<TaskRunRecord>> {
    return readPage(
      page,
      (limit, after) => this.#store.listTaskRuns(filter, limit, after),
      (record) => ({ created: record.created, id: record.run.id }),
    );
  }

  async delete(taskRunId: string): Promise<void> {
    if (!(await this.#store.deleteTaskRun(taskRunId)))
      throw new RunNotFoundError("task_run", taskRunId);
  }

  async listStates(taskRunId: string): Promise<State[]> {
    const states = await this.#store.listStates(taskRunId);
    if (states === null) throw new RunNotFoundError("task_run", taskRunId);
    return states;
  }

  /** Proposes a state; the outcome is in the result. `deferred` states select BackgroundTaskPolicy. */
  setState(command: SetTaskRunStateCommand): Promise<TaskOrchestrationResult> {
    return this.#store.transaction(
      async (tx) => {
        const locked = await tx.lockTaskRun(command.taskRunId);
        if (locked === null) throw new RunNotFoundError("task_run", command.taskRunId);
        const result = await this.#orchestrate(
          tx,
          locked.run,
          locked.state,
          command.state,
          command.force,
        );
        await command.beforeCommit?.(tx, result);
        return result;
      },
      { signal: command.signal, rollback: command.dryRun },
    );
  }

  async #orchestrate(
    tx: TaskRunTransaction,
    run: TaskRun,
    initialState: State | null,
    init: StateInit,
    force: boolean,
  ): Promise<TaskOrchestrationResult> {
    const result = await orchestrateTransition({
      run,
      initialState,
      proposedState: buildState(init, this.#ids.newId(), this.#clock.now()),
      policies: taskRunPolicies,
      policy: CoreTaskPolicy,
      force,
      deps: tx.deps,
      stateWriter: tx.stateWriter,
    });
    await tx.saveTaskRun(run);
    return result;
  }
}
