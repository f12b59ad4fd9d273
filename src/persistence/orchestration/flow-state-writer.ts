/**
 * The validate step for flow runs (spec §2.7): the proposed state is inserted in a savepoint
 * of the transition's transaction (one round trip) and becomes the run's current state: the
 * unit of work then flushes the run row that points at it. A failed insert
 * (e.g. a duplicate timestamp) is rolled back to the savepoint, so the engine can still
 * run cleanup hooks and answer ABORT in a healthy transaction.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { FlowRun, State } from "../../domain/index.ts";
import { ConcurrentUpdateError, StorageUnavailableError } from "../../domain/index.ts";
import type { StateWriter } from "../../orchestration/index.ts";
import { translateDatabaseError } from "../errors.ts";
import { detailsToJson } from "../state-mapping.ts";
import { statementInSavepoint } from "./savepoint.ts";

export class FlowRunStateWriter implements StateWriter<FlowRun> {
  readonly #em: EntityManager;
  readonly #onWritten: ((run: FlowRun, state: State) => Promise<void>) | undefined;

  /**
   * @param onWritten runs after the insert: the transaction flushes the run's new state
   * pointer through its unit of work, and notes the state's timestamp.
   */
  constructor(em: EntityManager, onWritten?: (run: FlowRun, state: State) => Promise<void>) {
    this.#em = em;
    this.#onWritten = onWritten;
  }

  async writeState(run: FlowRun, state: State): Promise<State> {
    await statementInSavepoint(
      this.#em,
      INSERT_STATE("flow_run_state", "flow_run_id"),
      stateParams(run.id, state),
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

/** The state insert of either run kind. */
export function INSERT_STATE(table: string, runColumn: string): string {
  return `insert into ${table} (id, ${runColumn}, type, name, "timestamp", message, state_details, data, decision)
    values (?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb)`;
}

export function stateParams(runId: string, state: State): unknown[] {
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
