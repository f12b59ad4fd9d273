/**
 * The ports only task-run orchestration uses, each a statement or two inside the
 * transition's transaction (or none, when the unit of work already knows the answer):
 * tag-limit holders, the result cache and the parent flow run.
 */
import type { QueryResult } from "@mikro-orm/core";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { FlowRun, State, TagConcurrencyLimit } from "../../domain/index.ts";
import type {
  CacheEntry,
  Clock,
  FlowRunReader,
  FlowRunWithState,
  IdGenerator,
  TagConcurrencyLimits,
  TaskRunStateCache,
} from "../../orchestration/index.ts";
import { FlowRunEntity } from "../entities/index.ts";
import { FLOW_RUNS, TASK_RUNS } from "../run-kinds.ts";
import { flowRunFromEntity, type StateColumns, stateFromColumns } from "../state-mapping.ts";
import type { LockedLimits } from "./locked-limits.ts";
import type { OrchestrationUnitOfWork } from "./unit-of-work.ts";

export class PgTagConcurrencyLimits implements TagConcurrencyLimits {
  readonly #em: EntityManager;
  readonly #clock: Clock;
  readonly #locked: LockedLimits | undefined;

  /** @param locked the limits a batch locked up front. */
  constructor(em: EntityManager, clock: Clock, locked?: LockedLimits) {
    this.#em = em;
    this.#clock = clock;
    this.#locked = locked;
  }

  async lockByTags(tags: readonly string[]): Promise<TagConcurrencyLimit[]> {
    const distinct = [...new Set(tags)];
    if (distinct.length === 0) return [];
    if (this.#locked?.holdsTags(distinct)) {
      // Locked by this transaction already: the statement does not wait for them, so its
      // snapshot is current and one statement reads the limits with their holders.
      const rows = await this.#em.execute<
        { id: string; tag: string; concurrency_limit: number; holders: string[] }[]
      >(
        `select l.id, l.tag, l.concurrency_limit,
           array(select h.task_run_id::text from tag_concurrency_holder h
                 where h.limit_id = l.id order by h.task_run_id) as holders
         from tag_concurrency_limit l where l.tag in (?) order by l.tag for update of l`,
        [distinct],
      );
      return rows.map((limit) => ({
        id: limit.id,
        tag: limit.tag,
        concurrencyLimit: Number(limit.concurrency_limit),
        activeSlots: limit.holders,
      }));
    }
    const limits = await this.#em.execute<{ id: string; tag: string; concurrency_limit: number }[]>(
      `select id, tag, concurrency_limit from tag_concurrency_limit where tag in (?) order by tag for update`,
      [distinct],
    );
    if (limits.length === 0) return [];
    // Read after the lock was granted: holders committed while we waited are included.
    const holders = await this.#em.execute<{ limit_id: string; task_run_id: string }[]>(
      `select limit_id, task_run_id from tag_concurrency_holder where limit_id in (?) order by task_run_id`,
      [limits.map((l) => l.id)],
    );
    return limits.map((limit) => ({
      id: limit.id,
      tag: limit.tag,
      concurrencyLimit: Number(limit.concurrency_limit),
      activeSlots: holders.filter((h) => h.limit_id === limit.id).map((h) => h.task_run_id),
    }));
  }

  async addHolder(tag: string, taskRunId: string, ttlSeconds: number): Promise<void> {
    const now = this.#clock.now();
    await this.#em.execute<QueryResult>(
      `insert into tag_concurrency_holder (limit_id, task_run_id, expires_at, created)
       select id, ?, ?, ? from tag_concurrency_limit where tag = ?
       on conflict (limit_id, task_run_id) do update set expires_at = excluded.expires_at`,
      [taskRunId, new Date(now.getTime() + ttlSeconds * 1000), now, tag],
      "run",
    );
  }

  async removeHolder(tag: string, taskRunId: string): Promise<void> {
    await this.#em.execute<QueryResult>(
      `delete from tag_concurrency_holder h using tag_concurrency_limit l
       where h.limit_id = l.id and l.tag = ? and h.task_run_id = ?`,
      [tag, taskRunId],
      "run",
    );
  }

  async removeHolders(taskRunId: string): Promise<number> {
    const result = await this.#em.execute<QueryResult>(
      `delete from tag_concurrency_holder where task_run_id = ?`,
      [taskRunId],
      "run",
    );
    return result.affectedRows;
  }

  async renewHolders(taskRunId: string, ttlSeconds: number): Promise<number> {
    const expiresAt = new Date(this.#clock.now().getTime() + ttlSeconds * 1000);
    const result = await this.#em.execute<QueryResult>(
      `update tag_concurrency_holder set expires_at = ? where task_run_id = ?`,
      [expiresAt, taskRunId],
      "run",
    );
    return result.affectedRows;
  }
}

export class PgTaskRunStateCache implements TaskRunStateCache {
  readonly #uow: OrchestrationUnitOfWork;
  readonly #ids: IdGenerator;
  readonly #clock: Clock;

  constructor(uow: OrchestrationUnitOfWork, ids: IdGenerator, clock: Clock) {
    this.#uow = uow;
    this.#ids = ids;
    this.#clock = clock;
  }

  async findCachedState(cacheKey: string, now: Date): Promise<State | null> {
    // An entry added earlier in this transaction is the newest there is.
    const pending = this.#uow.pendingCachedState(cacheKey, now);
    if (pending !== undefined) return pending;
    const rows = await this.#uow.em.execute<(StateColumns & { state_id: string | null })[]>(
      `select c.task_run_state_id as state_id, s.id, s.type, s.name, s."timestamp", s.message, s.state_details, s.data
       from (select task_run_state_id from task_run_state_cache
             where cache_key = ? and (cache_expiration is null or cache_expiration > ?)
             order by created desc limit 1) c
       left join task_run_state s on s.id = c.task_run_state_id`,
      [cacheKey, now],
    );
    const row = rows[0];
    return row === undefined || row.id == null ? null : stateFromColumns(row);
  }

  async insertCacheEntry(entry: CacheEntry): Promise<void> {
    this.#uow.addCacheEntry(entry, this.#ids.newId(), this.#clock.now());
  }
}

/**
 * The parent flow run of a task run, without a lock: a flow run held in this transaction
 * as it is now, the parent of a held task run as the lock statement read it, else a read.
 */
export class PgFlowRunReader implements FlowRunReader {
  readonly #uow: OrchestrationUnitOfWork;
  readonly #parents = new Map<string, FlowRunWithState>();

  constructor(uow: OrchestrationUnitOfWork) {
    this.#uow = uow;
  }

  async readFlowRun(flowRunId: string): Promise<FlowRunWithState | null> {
    const held = this.#uow.held(FLOW_RUNS, flowRunId);
    if (held !== undefined) return { run: held.run as FlowRun, state: held.state };
    const parent = this.#parents.get(flowRunId) ?? this.#lockedParent(flowRunId);
    if (parent !== undefined) return parent;
    const { em } = this.#uow;
    const entity = await em.findOne(FlowRunEntity, { id: flowRunId });
    if (entity === null) return null;
    const [row] =
      entity.stateId == null
        ? []
        : await em.execute<StateColumns[]>(
            `select id, type, name, "timestamp", message, state_details, data from flow_run_state where id = ?`,
            [entity.stateId],
          );
    return {
      run: flowRunFromEntity(entity),
      state: row === undefined ? null : stateFromColumns(row),
    };
  }

  /** The parent as the lock of one of its task runs read it (TASK_RUNS' lock extras). */
  #lockedParent(flowRunId: string): FlowRunWithState | undefined {
    for (const held of this.#uow.heldOf(TASK_RUNS)) {
      const run = held.extras.x_parent_run as { id?: string } | null;
      if (run?.id !== flowRunId) continue;
      const { em } = this.#uow;
      const entity = em.getDriver().mapResult(run, em.getMetadata().get(FlowRunEntity));
      const state = held.extras.x_parent_state as StateColumns | null;
      const parent = {
        run: flowRunFromEntity(entity as FlowRunEntity),
        state: state === null ? null : stateFromColumns(state),
      };
      this.#parents.set(flowRunId, parent);
      return parent;
    }
    return undefined;
  }
}
