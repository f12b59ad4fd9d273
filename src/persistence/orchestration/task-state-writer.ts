/**
 * The validate step for task runs: the state row is inserted in a savepoint (as for flows),
 * and — because WatchTaskRun streams from the outbox — an outbox event is appended in the
 * same savepoint, so an event exists iff the state committed.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { State, TaskRun } from "../../domain/index.ts";
import { ConcurrentUpdateError, StorageUnavailableError } from "../../domain/index.ts";
import type { StateWriter } from "../../orchestration/index.ts";
import { TaskRunStateEntity } from "../entities/index.ts";
import { translateDatabaseError } from "../errors.ts";
import { stateColumns } from "../state-mapping.ts";
import { PgEventOutbox } from "./flow-ports.ts";
import { inSavepoint } from "./savepoint.ts";

export class TaskRunStateWriter implements StateWriter<TaskRun> {
  readonly #em: EntityManager;
  readonly #events: PgEventOutbox;

  readonly #onWritten: ((run: TaskRun) => Promise<void>) | undefined;

  /** @param onWritten flushes the run's new state pointer through the unit of work. */
  constructor(em: EntityManager, onWritten?: (run: TaskRun) => Promise<void>) {
    this.#em = em;
    this.#events = new PgEventOutbox(em);
    this.#onWritten = onWritten;
  }

  async writeState(run: TaskRun, state: State): Promise<State> {
    await inSavepoint(this.#em, async () => {
      await this.#em.insert(TaskRunStateEntity, { ...stateColumns(state), taskRunId: run.id });
      await this.#events.append({
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
      return { value: undefined };
    });
    run.stateId = state.id;
    await this.#onWritten?.(run);
    return state;
  }

  isRetryableError(error: unknown): boolean {
    const translated = translateDatabaseError(error);
    return (
      translated instanceof ConcurrentUpdateError || translated instanceof StorageUnavailableError
    );
  }
}
