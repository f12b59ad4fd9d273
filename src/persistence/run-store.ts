/**
 * The persistence of either run kind, written once against a {@link RunKindTable}:
 * transitions go through the {@link TransitionBatcher} (a batch's shared transaction and
 * unit of work), other transactions (run creation, inputs, lease renewal) get a unit of work
 * of their own, and the reads of records and history are plain queries. The kinds' stores
 * add their transaction view, their read model and their list filters.
 */
import type { EntityManager, MikroORM } from "@mikro-orm/postgresql";
import type { Cursor } from "../application/paging.ts";
import type { LockedRun, TransactionOptions, TransitionOptions } from "../application/run-store.ts";
import type { Run, State } from "../domain/index.ts";
import type { Clock, IdGenerator, OrchestrationSettings } from "../orchestration/index.ts";
import { translatingErrors } from "./errors.ts";
import { afterCursor, currentStatesOf } from "./keyset.ts";
import { type BatchKind, DEFAULT_BATCHING, TransitionBatcher } from "./orchestration/batcher.ts";
import type { DependentRows } from "./orchestration/lock-runs.ts";
import type { HeldRun } from "./orchestration/unit-of-work.ts";
import { OrchestrationUnitOfWork } from "./orchestration/unit-of-work.ts";
import { listStates, statesSince, watchStart } from "./run-history.ts";
import type { RunEntity, RunKindTable } from "./run-kinds.ts";
import { stateFromRow } from "./state-mapping.ts";
import { runTransaction } from "./transaction.ts";

export interface RunStoreOptions {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly settings: OrchestrationSettings;
  readonly random: () => number;
  /**
   * The batcher transitions go through; stores of both kinds share one so that batches in
   * flight are counted together. A store without one gets its own, with the defaults.
   */
  readonly batcher?: TransitionBatcher;
}

export abstract class PgRunStore<R extends Run, E extends RunEntity, Tx, Rec, F> {
  protected readonly orm: MikroORM;
  protected readonly options: RunStoreOptions;
  readonly #kind: RunKindTable<R, E>;
  readonly #batcher: TransitionBatcher;
  readonly #batchKind: BatchKind<Tx>;

  protected constructor(orm: MikroORM, kind: RunKindTable<R, E>, options: RunStoreOptions) {
    this.orm = orm;
    this.options = options;
    this.#kind = kind;
    this.#batcher = options.batcher ?? new TransitionBatcher(orm, DEFAULT_BATCHING);
    this.#batchKind = {
      table: kind,
      view: (uow) => this.view(uow),
      dependents: (runs) => this.dependents(runs),
    };
  }

  /** The kind's transaction view over `uow` (one per unit of work). */
  protected abstract view(uow: OrchestrationUnitOfWork): Tx;
  /** The rows besides the runs that a batch of these runs' transitions may lock. */
  protected abstract dependents(
    runs: readonly { held: HeldRun; options: TransitionOptions<Run> }[],
  ): DependentRows;
  protected abstract record(entity: E, state: State | null): Rec;
  /** The kind's list filter as MikroORM conditions. */
  protected abstract conditions(filter: F): Record<string, unknown>[];

  transition<T>(
    runId: string,
    work: (tx: Tx, locked: LockedRun<R>) => Promise<T>,
    options: TransitionOptions<R> = {},
  ): Promise<T> {
    return this.#batcher.submit(this.#batchKind, runId, work, options);
  }

  transaction<T>(work: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return runTransaction(
      this.orm,
      async (em) => {
        const uow = new OrchestrationUnitOfWork(em, { eagerStates: true });
        const result = await work(this.view(uow));
        await uow.flush();
        return result;
      },
      options,
    );
  }

  find(runId: string): Promise<Rec | null> {
    return translatingErrors(async () => {
      const em = this.orm.em.fork();
      const entity = (await em.findOne(this.#kind.runEntity, { id: runId } as never)) as E | null;
      return entity === null ? null : this.record(entity, await this.#currentState(em, entity));
    });
  }

  list(filter: F, limit: number, after: Cursor | undefined): Promise<Rec[]> {
    return translatingErrors(async () => {
      const em = this.orm.em.fork();
      const entities = (await em.find(
        this.#kind.runEntity,
        { $and: [...this.conditions(filter), afterCursor(after)] } as never,
        { orderBy: { created: "asc", id: "asc" } as never, limit },
      )) as E[];
      const stateOf = await currentStatesOf(em, this.#kind.state, entities);
      return entities.map((entity) => this.record(entity, stateOf(entity.stateId)));
    });
  }

  delete(runId: string): Promise<boolean> {
    return translatingErrors(() =>
      this.orm.em.fork().transactional((em) => this.deleteRun(em, runId)),
    );
  }

  /** Deletes the run inside `em`'s transaction; `false` when it does not exist. */
  protected async deleteRun(em: EntityManager, runId: string): Promise<boolean> {
    return (await em.nativeDelete(this.#kind.runEntity, { id: runId } as never)) > 0;
  }

  listStates(runId: string): Promise<State[] | null> {
    return translatingErrors(() => listStates(this.orm.em.fork(), this.#kind, runId));
  }

  statesSince(runId: string, afterSeq: number): Promise<{ seq: number; state: State }[]> {
    return translatingErrors(() => statesSince(this.orm.em.fork(), this.#kind, runId, afterSeq));
  }

  watchStart(runId: string): Promise<{ state: State | null; seq: number } | null> {
    return translatingErrors(() => watchStart(this.orm.em.fork(), this.#kind, runId));
  }

  async #currentState(em: EntityManager, entity: E): Promise<State | null> {
    if (entity.stateId == null) return null;
    const row = await em.findOne(this.#kind.stateEntity, { id: entity.stateId } as never);
    return row === null ? null : stateFromRow(row);
  }
}
