/**
 * The validate step for both run kinds (spec §2.7): the proposed state becomes the run's
 * current state. In a batch it only enters the unit of work (the final flush inserts it);
 * in a transition alone it is inserted at once in a savepoint of the transaction (one round
 * trip), so a failed insert (e.g. a duplicate timestamp) is rolled back to the savepoint and
 * the engine can still run cleanup hooks and answer ABORT in a healthy transaction. The run
 * row that points at the state is written by the unit of work's flush.
 */
import type { Run, State } from "../../domain/index.ts";
import { ConcurrentUpdateError, StorageUnavailableError } from "../../domain/index.ts";
import type { StateWriter } from "../../orchestration/index.ts";
import { translateDatabaseError } from "../errors.ts";
import type { RunKindTable } from "../run-kinds.ts";
import { detailsToJson, stateColumns } from "../state-mapping.ts";
import { statementInSavepoint } from "./savepoint.ts";
import type { OrchestrationUnitOfWork } from "./unit-of-work.ts";

export class PgStateWriter<R extends Run> implements StateWriter<R> {
  readonly #uow: OrchestrationUnitOfWork;
  readonly #kind: RunKindTable;

  constructor(uow: OrchestrationUnitOfWork, kind: RunKindTable) {
    this.#uow = uow;
    this.#kind = kind;
  }

  async writeState(run: R, state: State): Promise<State> {
    const kind = this.#kind;
    if (this.#uow.eagerStates) {
      await statementInSavepoint(this.#uow.em, insertState(kind), stateParams(run.id, state));
    } else {
      this.#uow.em.create(kind.stateEntity, {
        ...stateColumns(state),
        [kind.stateRunProperty]: run.id,
      } as never);
    }
    run.stateId = state.id;
    this.#uow.stateWritten(kind, run.id, state);
    return state;
  }

  isRetryableError(error: unknown): boolean {
    const translated = translateDatabaseError(error);
    return (
      translated instanceof ConcurrentUpdateError || translated instanceof StorageUnavailableError
    );
  }
}

function insertState(kind: RunKindTable): string {
  return `insert into ${kind.state} (id, ${kind.runColumn}, type, name, "timestamp", message, state_details, data, decision)
    values (?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb)`;
}

function stateParams(runId: string, state: State): unknown[] {
  return [
    state.id,
    runId,
    state.type,
    state.name,
    state.timestamp,
    state.message,
    JSON.stringify(detailsToJson(state.stateDetails)),
    state.data === null ? null : JSON.stringify(state.data),
    state.decision == null ? null : JSON.stringify(state.decision),
  ];
}
