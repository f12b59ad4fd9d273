/**
 * What the task-run use cases need from persistence: the generic {@link RunStore} for task
 * runs (the task run is row-locked first, Fix §8.2.3), and the outbox their state events go
 * to.
 */
import type { State, StateType, TaskRun, TaskRunPolicy } from "../domain/index.ts";
import type { EventOutbox, TaskOrchestrationDeps } from "../orchestration/index.ts";
import type { LockedRun, RunStore, RunTransaction } from "./run-store.ts";

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

/** A transaction of task-run orchestration. */
export interface TaskRunTransaction extends RunTransaction<TaskRun, TaskOrchestrationDeps> {
  /** Where the state events of task runs go (WatchTaskRun streams them). */
  readonly events: EventOutbox;
  /** Inserts the run, or finds and locks the one with the same (flow run, task key, dynamic key). */
  insertTaskRun(
    fields: NewTaskRun,
  ): Promise<(LockedRun<TaskRun> & { created: boolean }) | { missing: "flow run" }>;
}

export type TaskRunStore = RunStore<TaskRun, TaskRunTransaction, TaskRunRecord, TaskRunFilter>;
