/**
 * What the task-run use cases need from persistence: one transaction per orchestration, in
 * which the task run is row-locked first (Fix §8.2.3) and every port writes, plus reads.
 */
import type { State, StateType, TaskRun, TaskRunPolicy } from "../domain/index.ts";
import type { StateWriter, TaskOrchestrationDeps } from "../orchestration/index.ts";
import type { TransactionOptions } from "./flow-run-store.ts";
import type { Cursor } from "./paging.ts";

/** The fields a client gives a new task run. */
export interface NewTaskRun {
  readonly flowRunId: string | null;
  readonly taskKey: string;
  readonly dynamicKey: string;
  readonly name: string;
  readonly tags: readonly string[];
  readonly cacheKey: string | null;
  readonly cacheExpiration: Date | null;
  readonly empiricalPolicy: TaskRunPolicy;
}

export interface TaskRunRecord {
  readonly run: TaskRun;
  readonly state: State | null;
  readonly created: Date;
  readonly updated: Date;
}

export interface TaskRunFilter {
  readonly flowRunId: string | null;
  readonly stateTypes: readonly StateType[];
  readonly tags: readonly string[];
}

export interface TaskRunWithState {
  readonly run: TaskRun;
  readonly state: State | null;
}

/** One transaction of task-run orchestration. */
export interface TaskRunTransaction {
  /** The task run, row-locked (`FOR UPDATE`) until commit, with its current state. */
  lockTaskRun(taskRunId: string): Promise<TaskRunWithState | null>;
  saveTaskRun(run: TaskRun): Promise<void>;
  /** Inserts the run, or finds and locks the one with the same (flow run, task key, dynamic key). */
  insertTaskRun(
    fields: NewTaskRun,
  ): Promise<(TaskRunWithState & { created: boolean }) | { missing: "flow run" }>;
  readonly deps: TaskOrchestrationDeps;
  readonly stateWriter: StateWriter<TaskRun>;
}

export interface TaskRunStore {
  transaction<T>(
    work: (tx: TaskRunTransaction) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T>;
  findTaskRun(taskRunId: string): Promise<TaskRunRecord | null>;
  listTaskRuns(
    filter: TaskRunFilter,
    limit: number,
    after: Cursor | undefined,
  ): Promise<TaskRunRecord[]>;
  /**
   * Deletes the run and frees the tag slots it holds, in one transaction; `false` when the
   * run does not exist.
   */
  deleteTaskRun(taskRunId: string): Promise<boolean>;
  listStates(taskRunId: string): Promise<State[] | null>;
  statesSince(taskRunId: string, afterSeq: number): Promise<{ seq: number; state: State }[]>;
  watchStart(taskRunId: string): Promise<{ state: State | null; seq: number } | null>;
}
