/**
 * The unit of work of orchestration: one database transaction and one forked EntityManager,
 * shared by every transition of a batch (or owned by one transition alone). It holds the
 * runs locked in the transaction with their current states, collects what the transitions
 * write — state rows, outbox events, cache entries, and every held run's changes — and
 * writes it all in one flush at the end, as batched statements.
 *
 * Validation comes in two modes. In a batch, a proposed state only enters the unit of work
 * and the final flush inserts it; a failed flush rolls the whole batch back, and the batch's
 * transitions are then retried each in a transaction of its own. There (`eagerStates`), the
 * state is inserted at validation in a savepoint, so a failed insert becomes ABORT "Error
 * validating state: …" in a transaction that stays usable, as the engine expects.
 *
 * Reads that must see earlier transitions of the same transaction answer from here: the
 * current state and newest state timestamp of a held run, states written but not yet
 * flushed, and cache entries waiting for the flush.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { Run, State } from "../../domain/index.ts";
import type { CacheEntry, RunStateEvent } from "../../orchestration/index.ts";
import { EventEntity, TaskRunStateCacheEntity } from "../entities/index.ts";
import type { RunEntity, RunKindTable } from "../run-kinds.ts";
import { lockRunRows } from "./lock-runs.ts";
import { LockedLimits } from "./locked-limits.ts";

/**
 * The channel on which committed events are announced (payload: the run id), by a trigger
 * on the outbox table (EventSchema, migration Migration20261201170706).
 */
export const EVENTS_CHANNEL = "flowgate_events";

/** A run locked in the transaction. Its `run` object is what orchestration changes. */
export interface HeldRun {
  readonly kind: RunKindTable;
  readonly run: Run;
  /** The run's changeable columns as locked: the flush writes those that differ now. */
  readonly lockedColumns: Readonly<Record<string, unknown>>;
  /** The current state: the locked one, then the last one written in this transaction. */
  state: State | null;
  /** The newest state timestamp of the run, written ones included; `null`: no state. */
  latest: Date | null;
  /** Timestamps (ms) of the states written in this transaction. */
  readonly written: Set<number>;
  /** What the lock statement read besides the run and its state (`x_…` columns). */
  readonly extras: Readonly<Record<string, unknown>>;
}

/** A cache entry waiting for the flush, with the state it points at. */
interface PendingCacheEntry {
  readonly cacheKey: string;
  readonly cacheExpiration: Date | null;
  readonly state: State;
}

export interface UnitOfWorkOptions {
  /** Insert each proposed state at validation, in a savepoint (a transition alone). */
  readonly eagerStates: boolean;
}

export class OrchestrationUnitOfWork {
  readonly em: EntityManager;
  readonly eagerStates: boolean;
  /** The limit rows locked before the transitions ran, as the lock read them. */
  readonly limits = new LockedLimits();
  readonly #held = new Map<string, HeldRun>();
  /** States written in this transaction, by id. */
  readonly #states = new Map<string, State>();
  readonly #cacheEntries: PendingCacheEntry[] = [];
  readonly #views = new Map<object, unknown>();

  constructor(em: EntityManager, options: UnitOfWorkOptions) {
    this.em = em;
    this.eagerStates = options.eagerStates;
  }

  /**
   * Locks the runs `runIds` of `kind` that are not held yet, in one statement and in id
   * order, and holds them with their current states. Unknown ids are left out.
   */
  async lock(kind: RunKindTable, runIds: readonly string[]): Promise<void> {
    const missing = [...new Set(runIds)].filter((id) => !this.#held.has(key(kind, id)));
    if (missing.length === 0) return;
    const meta = this.em.getMetadata().get(kind.runEntity);
    const toRun = kind.toRun as (entity: RunEntity) => Run;
    const columnsOf = kind.runColumns as (run: Run) => Record<string, unknown>;
    for (const row of await lockRunRows(this.em, kind, missing)) {
      // The row's columns as the entity's properties, without building a managed entity:
      // the flush writes the changed columns through a reference (see `#stage`).
      const run = toRun(this.em.getDriver().mapResult(row.columns, meta) as RunEntity);
      this.#held.set(key(kind, run.id), {
        kind,
        run,
        lockedColumns: columnsOf(run),
        state: row.state,
        latest: row.latest,
        written: new Set(),
        extras: row.extras,
      });
    }
  }

  /** The run `runId` of `kind`, locked (now, if it is not held yet); `null` if it does not exist. */
  async lockOne(kind: RunKindTable, runId: string): Promise<HeldRun | null> {
    await this.lock(kind, [runId]);
    return this.held(kind, runId) ?? null;
  }

  held(kind: RunKindTable, runId: string): HeldRun | undefined {
    return this.#held.get(key(kind, runId));
  }

  /** Every held run of `kind`. */
  heldOf(kind: RunKindTable): HeldRun[] {
    return [...this.#held.values()].filter((held) => held.kind === kind);
  }

  /** Notes that `state` was written for the held run: it is the run's current state now. */
  stateWritten(kind: RunKindTable, runId: string, state: State): void {
    this.#states.set(state.id, state);
    const held = this.held(kind, runId);
    if (held === undefined) return;
    held.state = state;
    held.written.add(state.timestamp.getTime());
    if (held.latest === null || state.timestamp > held.latest) held.latest = state.timestamp;
  }

  /** Adds an outbox event (its insert announces the run on {@link EVENTS_CHANNEL}). */
  addEvent(event: RunStateEvent): void {
    this.em.create(EventEntity, {
      id: event.id,
      event: event.event,
      occurred: event.occurred,
      follows: event.follows,
      resourceId: runIdOf(event),
      resource: event.resource,
      related: [...event.related],
      payload: event.payload,
    });
  }

  /** Adds a task-run cache entry for a state written in this transaction. */
  addCacheEntry(entry: CacheEntry, id: string, created: Date): void {
    this.em.create(TaskRunStateCacheEntity, {
      id,
      cacheKey: entry.cacheKey,
      cacheExpiration: entry.cacheExpiration,
      taskRunStateId: entry.taskRunStateId,
      created,
    });
    const state = this.#states.get(entry.taskRunStateId);
    if (state !== undefined) {
      this.#cacheEntries.push({
        cacheKey: entry.cacheKey,
        cacheExpiration: entry.cacheExpiration,
        state,
      });
    }
  }

  /**
   * The state of the newest cache entry added in this transaction for `cacheKey` that has
   * not expired at `now`; `undefined` when there is none (then the database answers).
   */
  pendingCachedState(cacheKey: string, now: Date): State | undefined {
    for (let i = this.#cacheEntries.length - 1; i >= 0; i--) {
      const entry = this.#cacheEntries[i]!;
      if (entry.cacheKey !== cacheKey) continue;
      if (entry.cacheExpiration === null || entry.cacheExpiration > now) return entry.state;
    }
    return undefined;
  }

  /** One object per unit of work and `owner` (a run kind's transaction view). */
  view<T>(owner: object, create: () => T): T {
    let view = this.#views.get(owner) as T | undefined;
    if (view === undefined) {
      view = create();
      this.#views.set(owner, view);
    }
    return view;
  }

  /**
   * Writes everything in one flush: the held runs' changed columns, states, events, cache
   * entries. The transaction ends right after it, so the EntityManager is cleared: the flush
   * MikroORM runs before COMMIT then finds nothing to compare, and nothing is merged into
   * the parent EntityManager that nobody reads.
   */
  async flush(): Promise<void> {
    for (const held of this.#held.values()) this.#stage(held);
    await this.em.flush();
    this.em.clear();
  }

  /**
   * Puts what orchestration changed on a held run into the unit of work, as changes to a
   * reference of its entity: hydrating a whole managed entity for every locked run (MikroORM
   * defines each of its properties on the instance) was the largest ORM cost of a batch.
   */
  #stage(held: HeldRun): void {
    const now = (held.kind.runColumns as (run: Run) => Record<string, unknown>)(held.run);
    const changed = Object.keys(now).filter(
      (column) => !sameValue(now[column], held.lockedColumns[column]),
    );
    if (changed.length === 0) return;
    const entity = this.em.getReference(held.kind.runEntity, held.run.id) as Record<
      string,
      unknown
    >;
    for (const column of changed) entity[column] = now[column];
  }
}

/** Column values compare by value (dates by time, JSON and arrays by content). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function key(kind: RunKindTable, runId: string): string {
  return `${kind.run}:${runId}`;
}

/** The run id at the end of `prefect.flow-run.<id>` / `prefect.task-run.<id>`. */
function runIdOf(event: RunStateEvent): string {
  const resource = event.resource["prefect.resource.id"] ?? "";
  return resource.slice(resource.lastIndexOf(".") + 1);
}
