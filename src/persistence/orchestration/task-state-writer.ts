/**
 * The validate step for task runs: the state row is inserted in a savepoint (as for flows),
 * and — because WatchTaskRun streams from the outbox — an outbox event is appended in the
 * same savepoint, so an event exists iff the state committed.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { State, TaskRun } from "../../domain/index.ts";
import { ConcurrentUpdateError, StorageUnavailableError } from "../../domain/index.ts";
import type { StateWriter } from "../../orchestration/index.ts";
import { translateDatabaseError } from "../errors.ts";
import { appendEventStatement } from "./flow-ports.ts";
import { INSERT_STATE, stateParams } from "./flow-state-writer.ts";
import { statementInSavepoint } from "./savepoint.ts";

export class TaskRunStateWriter implements StateWriter<TaskRun> {
  readonly #em: EntityManager;

  readonly #onWritten: ((run: TaskRun, state: State) => Promise<void>) | undefined;

  /** @param onWritten flushes the run's new state pointer through the unit of work. */
  constructor(em: EntityManager, onWritten?: (run: TaskRun, state: State) => Promise<void>) {
    this.#em = em;
    this.#onWritten = onWritten;
  }

  async writeState(run: TaskRun, state: State): Promise<State> {
    const event = appendEventStatement({
      event: `prefect.task-run.${state.name}`,
      id: state.id,
      occurred: state.timestamp,
      follows: null,
      resource: {
        "prefect.resource.id": `prefect.task-run.${run.id}`,
        "prefect.resource.name": run.name,
        "prefect.state-name": state.name,
        "prefect.state-type": state.type,
      },
      related:
        run.flowRunId === null
          ? []
          : [
              {
                "prefect.resource.id": `prefect.flow-run.${run.flowRunId}`,
                "prefect.resource.role": "flow-run",
              },
            ],
      payload: { validated_state: { type: state.type, name: state.name } },
    });
    // State and event in one savepoint, in one round trip.
    await statementInSavepoint(
      this.#em,
      `${INSERT_STATE("task_run_state", "task_run_id")}; ${event.sql}`,
      [...stateParams(run.id, state), ...event.params],
    );
    run.stateId = state.id;
    await this.#onWritten?.(run, state);
    return state;
  }

  isRetryableError(error: unknown): boolean {
    const translated = translateDatabaseError(error);
    return (
      translated instanceof ConcurrentUpdateError || translated instanceof StorageUnavailableError
    );
  }
}
