/**
 * The validate step for flow runs (spec §2.7): the proposed state is inserted in a savepoint
 * of the transition's transaction and becomes the run's current state. A failed insert
 * (e.g. a duplicate timestamp) is rolled back to the savepoint, so the engine can still
 * run cleanup hooks and answer ABORT in a healthy transaction.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { FlowRun, State } from "../../domain/index.ts";
import { ConcurrentUpdateError, StorageUnavailableError } from "../../domain/index.ts";
import type { StateWriter } from "../../orchestration/index.ts";
import { FlowRunStateEntity } from "../entities/index.ts";
import { translateDatabaseError } from "../errors.ts";
import { stateColumns } from "../state-mapping.ts";
import { inSavepoint } from "./savepoint.ts";

export class FlowRunStateWriter implements StateWriter<FlowRun> {
  readonly #em: EntityManager;
  constructor(em: EntityManager) {
    this.#em = em;
  }

  async writeState(run: FlowRun, state: State): Promise<State> {
    await inSavepoint(this.#em, async () => {
      await this.#em.insert(FlowRunStateEntity, { ...stateColumns(state), flowRunId: run.id });
      return { value: undefined };
    });
    run.stateId = state.id;
    return state;
  }

  isRetryableError(error: unknown): boolean {
    const translated = translateDatabaseError(error);
    return (
      translated instanceof ConcurrentUpdateError || translated instanceof StorageUnavailableError
    );
  }
}
