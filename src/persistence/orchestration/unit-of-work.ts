/**
 * The unit of work of orchestration: one database transaction and one forked EntityManager,
 * shared by every transition of a batch (or owned by one transition alone). It holds the
 * runs locked in the transaction with their current states, collects what the transitions
 * write — state rows, outbox events, cache entries, and every held run's changes — and
 * writes it all in one flush at the end, as batched statements, followed by one
 * notification statement for the runs that got events.
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
import { pgTextArray } from "../sql.ts";
import { lockRunRows } from "./lock-runs.ts";

/** The channel on which committed events are announced (payload: the run id). */
export const EVENTS_CHANNEL = "flowgate_events";

/** A run locked in the transaction. Its `run` object is what orchestration changes. */
export interface HeldRun {
  readonly kind: RunKindTable;
  readonly entity: RunEntity;
  readonly run: Run;
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
  readonly #held = new Map<string, HeldRun>();
  /** States written in this transaction, by id. */
  readonly #states = new Map<string, State>();
  readonly #cacheEntries: PendingCacheEntry[] = [];
  /** Runs that got an event, announced once the flush wrote the events. */
  readonly #announced = new Set<string>();
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
    for (const row of await lockRunRows(this.em, kind, missing)) {
      // Registered with the unit of work, so the final flush writes what orchestration changed.
      const entity = this.em.map(kind.runEntity, row.columns);
      this.#held.set(key(kind, entity.id), {
        kind,
        entity,
        run: (kind.toRun as (entity: RunEntity) => Run)(entity),
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

  /** Adds an outbox event; its run is announced on {@link EVENTS_CHANNEL} after the flush. */
  addEvent(event: RunStateEvent): void {
    const runId = runIdOf(event);
    this.em.create(EventEntity, {
      id: event.id,
      event: event.event,
      occurred: event.occurred,
      follows: event.follows,
      resourceId: runId,
      resource: event.resource,
      related: [...event.related],
      payload: event.payload,
    });
    this.#announced.add(runId);
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
   * Writes everything: each held run's changes, the states, events and cache entries, in one
   * flush; then announces the runs that got events (delivered when the transaction commits).
   */
  async flush(): Promise<void> {
    for (const held of this.#held.values()) {
      (held.kind.applyRun as (entity: RunEntity, run: Run) => void)(held.entity, held.run);
    }
    await this.em.flush();
    if (this.#announced.size === 0) return;
    await this.em.execute(
      `select pg_notify(?, id) from unnest(?::text[]) id`,
      [EVENTS_CHANNEL, pgTextArray([...this.#announced])],
      "run",
    );
    this.#announced.clear();
  }
}

function key(kind: RunKindTable, runId: string): string {
  return `${kind.run}:${runId}`;
}

/** The run id at the end of `prefect.flow-run.<id>` / `prefect.task-run.<id>`. */
function runIdOf(event: RunStateEvent): string {
  const resource = event.resource["prefect.resource.id"] ?? "";
  return resource.slice(resource.lastIndexOf(".") + 1);
}
