/**
 * Task-run use cases. A task run is row-locked before its policy runs (Fix §8.2.3):
 * concurrent proposals for one task run are serialized, so exactly one of N racing
 * PENDING → RUNNING proposals is accepted. Every state a task run commits is announced by a
 * `prefect.task-run.<state>` event in the same transaction (WatchTaskRun streams them).
 */
import { RunNotFoundError, type State, type StateInit, type TaskRun } from "../domain/index.ts";
import {
  type Clock,
  CoreTaskPolicy,
  type EventOutbox,
  type IdGenerator,
  type OrchestrationResult,
  type StateWriter,
  type TaskOrchestrationDeps,
  taskRunPolicies,
  taskRunStateEvent,
} from "../orchestration/index.ts";
import { type RunOrchestration, type RunStateCommand, RunUseCases } from "./run-use-cases.ts";
import type {
  NewTaskRun,
  TaskRunFilter,
  TaskRunRecord,
  TaskRunStore,
  TaskRunTransaction,
} from "./task-run-store.ts";

export type TaskOrchestrationResult = OrchestrationResult<TaskRun, TaskOrchestrationDeps>;

export interface SetTaskRunStateCommand
  extends Omit<RunStateCommand<TaskRun, TaskOrchestrationDeps, TaskRunTransaction>, "policy"> {
  readonly taskRunId: string;
}

/**
 * Wraps the validate step's writer so that every state it writes is followed by the task
 * run's state event, in the same transaction.
 */
export function withStateEvents(
  writer: StateWriter<TaskRun>,
  events: EventOutbox,
): StateWriter<TaskRun> {
  return {
    async writeState(run: TaskRun, state: State): Promise<State> {
      const written = await writer.writeState(run, state);
      await events.append(taskRunStateEvent(run, written));
      return written;
    },
    isRetryableError: (error) => writer.isRetryableError(error),
  };
}

/** How task runs are orchestrated: CoreTaskPolicy by default, state events on every write. */
export const taskRunOrchestration: RunOrchestration<
  TaskRun,
  TaskOrchestrationDeps,
  TaskRunTransaction
> = {
  policies: taskRunPolicies,
  defaultPolicy: CoreTaskPolicy,
  ports: (tx) => ({ deps: tx.deps, stateWriter: withStateEvents(tx.stateWriter, tx.events) }),
};

export class TaskRunUseCases extends RunUseCases<
  TaskRun,
  TaskOrchestrationDeps,
  TaskRunTransaction,
  TaskRunRecord,
  TaskRunFilter
> {
  constructor(store: TaskRunStore, clock: Clock, ids: IdGenerator) {
    super(store, taskRunOrchestration, "task_run", clock, ids);
  }

  /** Creates the run (idempotent on flow run, task key, dynamic key) and forces its initial state. */
  create(
    fields: NewTaskRun,
    initial: StateInit | null,
  ): Promise<{ record: TaskRunRecord; created: boolean }> {
    return this.createWith(async (tx) => {
      const inserted = await tx.insertTaskRun(fields);
      if ("missing" in inserted) throw new RunNotFoundError("flow_run", fields.flowRunId ?? "");
      return inserted;
    }, initial);
  }

  /** Proposes a state; the outcome is in the result. `deferred` states select BackgroundTaskPolicy. */
  setState(command: SetTaskRunStateCommand): Promise<TaskOrchestrationResult> {
    return this.propose(command.taskRunId, command);
  }
}
