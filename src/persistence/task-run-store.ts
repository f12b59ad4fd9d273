import type { EntityManager, MikroORM } from "@mikro-orm/postgresql";
import type { TransactionOptions } from "../application/flow-run-store.ts";
import type { Cursor } from "../application/paging.ts";
import type {
  NewTaskRun,
  TaskRunFilter,
  TaskRunRecord,
  TaskRunStore,
  TaskRunTransaction,
} from "../application/task-run-store.ts";
import type { State, TaskRun } from "../domain/index.ts";
import type {
  Clock,
  IdGenerator,
  OrchestrationSettings,
  TaskOrchestrationDeps,
} from "../orchestration/index.ts";
import { FlowRunEntity, TaskRunEntity, TaskRunStateEntity } from "./entities/index.ts";
import { translatingErrors } from "./errors.ts";
import { afterCursor, currentStatesOf } from "./keyset.ts";
import { PgGlobalConcurrencyLimits } from "./orchestration/global-limits.ts";
import { PgLeaseStore } from "./orchestration/lease-store.ts";
import {
  PgFlowRunReader,
  PgTagConcurrencyLimits,
  PgTaskRunStateCache,
  PgTaskRunStateTimestamps,
} from "./orchestration/task-ports.ts";
import { TaskRunStateWriter } from "./orchestration/task-state-writer.ts";
import { deleteTaskRunFreeingSlots } from "./run-deletion.ts";
import { listStates, statesSince, TASK_RUN_TABLES, watchStart } from "./run-history.ts";
import { pgTextArray } from "./sql.ts";
import {
  applyTaskRun,
  type StateColumns,
  stateFromColumns,
  stateFromRow,
  taskRunFromEntity,
  toDate,
} from "./state-mapping.ts";
import { runTransaction } from "./transaction.ts";

export interface TaskRunStoreOptions {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly settings: OrchestrationSettings;
  readonly random: () => number;
}

export class PgTaskRunStore implements TaskRunStore {
  readonly #orm: MikroORM;
  readonly #options: TaskRunStoreOptions;

  constructor(orm: MikroORM, options: TaskRunStoreOptions) {
    this.#orm = orm;
    this.#options = options;
  }

  transaction<T>(
    work: (tx: TaskRunTransaction) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    return runTransaction(
      this.#orm,
      (em) => work(new PgTaskRunTransaction(em, this.#options)),
      options,
    );
  }

  findTaskRun(taskRunId: string): Promise<TaskRunRecord | null> {
    return translatingErrors(async () => {
      const em = this.#orm.em.fork();
      const entity = await em.findOne(TaskRunEntity, { id: taskRunId });
      return entity === null ? null : record(entity, await currentState(em, entity));
    });
  }

  listTaskRuns(
    filter: TaskRunFilter,
    limit: number,
    after: Cursor | undefined,
  ): Promise<TaskRunRecord[]> {
    return translatingErrors(async () => {
      const em = this.#orm.em.fork();
      const where: Record<string, unknown>[] = [];
      if (filter.flowRunId !== null) where.push({ flowRunId: filter.flowRunId });
      if (filter.stateTypes.length > 0) where.push({ stateType: { $in: [...filter.stateTypes] } });
      if (filter.tags.length > 0) where.push({ tags: { $contains: [...filter.tags] } });
      where.push(afterCursor(after));
      const entities = await em.find(
        TaskRunEntity,
        { $and: where },
        { orderBy: { created: "asc", id: "asc" }, limit },
      );
      const stateOf = await currentStatesOf(em, "task_run_state", entities);
      return entities.map((entity) => record(entity, stateOf(entity.stateId)));
    });
  }

  deleteTaskRun(taskRunId: string): Promise<boolean> {
    return translatingErrors(() =>
      this.#orm.em
        .fork()
        .transactional((em) => deleteTaskRunFreeingSlots(em, taskRunId, this.#options.clock.now())),
    );
  }

  listStates(taskRunId: string): Promise<State[] | null> {
    return translatingErrors(() => listStates(this.#orm.em.fork(), TASK_RUN_TABLES, taskRunId));
  }

  statesSince(taskRunId: string, afterSeq: number): Promise<{ seq: number; state: State }[]> {
    return translatingErrors(() =>
      statesSince(this.#orm.em.fork(), TASK_RUN_TABLES, taskRunId, afterSeq),
    );
  }

  watchStart(taskRunId: string): Promise<{ state: State | null; seq: number } | null> {
    return translatingErrors(() => watchStart(this.#orm.em.fork(), TASK_RUN_TABLES, taskRunId));
  }
}

export class PgTaskRunTransaction implements TaskRunTransaction {
  readonly #em: EntityManager;
  readonly #entities = new Map<string, TaskRunEntity>();
  readonly #latestStates = new Map<string, Date>();
  readonly deps: TaskOrchestrationDeps;
  readonly stateWriter: TaskRunStateWriter;

  constructor(em: EntityManager, options: TaskRunStoreOptions) {
    this.#em = em;
    const { clock, ids, settings, random } = options;
    this.deps = {
      clock,
      ids,
      settings,
      flowRuns: new PgFlowRunReader(em),
      taskRunStates: new PgTaskRunStateTimestamps(em, this.#latestStates),
      tagLimits: new PgTagConcurrencyLimits(em, clock),
      globalLimits: new PgGlobalConcurrencyLimits(em, clock),
      leases: new PgLeaseStore(em, clock, ids),
      cache: new PgTaskRunStateCache(em, ids, clock),
      random: { random },
    };
    this.stateWriter = new TaskRunStateWriter(em, async (run, state) => {
      const latest = this.#latestStates.get(run.id);
      if (latest === undefined || state.timestamp > latest)
        this.#latestStates.set(run.id, state.timestamp);
      await this.saveTaskRun(run);
    });
  }

  /**
   * Two round trips, as for flow runs: the row locked, then (after the lock was granted) its
   * current state and newest state timestamp (EnsureTaskRunStateTimestampIsUnique).
   */
  async lockTaskRun(taskRunId: string) {
    const [columns] = await this.#em.execute<Record<string, unknown>[]>(
      `select * from task_run where id = ? for update`,
      [taskRunId],
    );
    if (columns === undefined) return null;
    // Registered with the unit of work, so the flush writes what orchestration changed.
    const entity = this.#em.map(TaskRunEntity, columns);
    this.#entities.set(entity.id, entity);
    const [row] = await this.#em.execute<
      (Partial<StateColumns> & { latest: Date | string | null })[]
    >(
      `select s.id, s.type, s.name, s."timestamp", s.message, s.state_details, s.data,
         (select max("timestamp") from task_run_state where task_run_id = ?) as latest
       from (select 1) one left join task_run_state s on s.id = ?`,
      [entity.id, entity.stateId ?? null],
    );
    if (row?.latest != null) this.#latestStates.set(entity.id, toDate(row.latest));
    const state = row?.id == null ? null : stateFromColumns(row as StateColumns);
    return { run: taskRunFromEntity(entity), state };
  }

  async saveTaskRun(run: TaskRun): Promise<void> {
    const entity = this.#entities.get(run.id);
    if (entity === undefined)
      throw new Error(`task run ${run.id} was not loaded in this transaction`);
    applyTaskRun(entity, run);
    await this.#em.flush();
  }

  async insertTaskRun(fields: NewTaskRun) {
    if (
      fields.flowRunId !== null &&
      (await this.#em.count(FlowRunEntity, { id: fields.flowRunId })) === 0
    ) {
      return { missing: "flow run" as const };
    }
    const id = this.deps.ids.newId();
    const now = this.deps.clock.now();
    // The unique (flow_run_id, task_key, dynamic_key) index decides a race between creators.
    const inserted = await this.#em.execute<{ id: string }[]>(
      `insert into task_run (id, flow_run_id, task_key, dynamic_key, name, tags, cache_key, cache_expiration,
         empirical_policy, flow_run_run_count, run_count, total_run_time, created, updated)
       values (?, ?, ?, ?, ?, ?::text[], ?, ?, ?::jsonb, 0, 0, 0, ?, ?)
       on conflict (flow_run_id, task_key, dynamic_key) do nothing returning id`,
      [
        id,
        fields.flowRunId,
        fields.taskKey,
        fields.dynamicKey,
        fields.name,
        pgTextArray(fields.tags),
        fields.cacheKey,
        fields.cacheExpiration,
        JSON.stringify(fields.empiricalPolicy),
        now,
        now,
      ],
    );
    const created = inserted.length === 1;
    const runId = created
      ? id
      : (
          await this.#em.findOneOrFail(TaskRunEntity, {
            flowRunId: fields.flowRunId,
            taskKey: fields.taskKey,
            dynamicKey: fields.dynamicKey,
          })
        ).id;
    const locked = await this.lockTaskRun(runId);
    if (locked === null) throw new Error(`task run ${runId} vanished`);
    return { ...locked, created };
  }
}

async function currentState(em: EntityManager, entity: TaskRunEntity): Promise<State | null> {
  if (entity.stateId == null) return null;
  const row = await em.findOne(TaskRunStateEntity, { id: entity.stateId });
  return row === null ? null : stateFromRow(row);
}

function record(entity: TaskRunEntity, state: State | null): TaskRunRecord {
  return {
    run: taskRunFromEntity(entity),
    state,
    created: entity.created,
    updated: entity.updated,
  };
}
