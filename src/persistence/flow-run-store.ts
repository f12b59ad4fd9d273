/**
 * Flow runs in PostgreSQL. `transaction` is the unit of work of one orchestration: a forked
 * EntityManager in one database transaction, whose ports (state writer, limits, leases,
 * outbox) all write through that same transaction.
 */
import type { EntityManager, MikroORM } from "@mikro-orm/postgresql";
import type {
  FlowRunFilter,
  FlowRunRecord,
  FlowRunStore,
  FlowRunTransaction,
  NewFlowRun,
  TransactionOptions,
} from "../application/flow-run-store.ts";
import type { Cursor } from "../application/paging.ts";
import type { FlowRun, JsonValue, State } from "../domain/index.ts";
import type { FlowOrchestrationDeps } from "../orchestration/index.ts";
import {
  DeploymentEntity,
  FlowEntity,
  FlowRunEntity,
  FlowRunInputEntity,
  FlowRunStateEntity,
} from "./entities/index.ts";
import { translatingErrors } from "./errors.ts";
import { afterCursor, currentStatesOf } from "./keyset.ts";
import {
  type KnownFlow,
  PgDeploymentReader,
  PgEventOutbox,
  PgFlowRunStateTimestamps,
  PgRelatedResourceReader,
} from "./orchestration/flow-ports.ts";
import { FlowRunStateWriter } from "./orchestration/flow-state-writer.ts";
import { PgGlobalConcurrencyLimits } from "./orchestration/global-limits.ts";
import { PgLeaseStore } from "./orchestration/lease-store.ts";
import { PgSubflowParentTasks } from "./orchestration/subflow-parent-tasks.ts";
import { deleteFlowRunFreeingSlots } from "./run-deletion.ts";
import { FLOW_RUN_TABLES, listStates, statesSince, watchStart } from "./run-history.ts";
import { pgTextArray } from "./sql.ts";
import {
  applyFlowRun,
  flowRunFromEntity,
  type StateColumns,
  stateFromColumns,
  stateFromRow,
  toDate,
} from "./state-mapping.ts";
import type { TaskRunStoreOptions } from "./task-run-store.ts";
import { runTransaction } from "./transaction.ts";

export type FlowRunStoreOptions = TaskRunStoreOptions;

export class PgFlowRunStore implements FlowRunStore {
  readonly #orm: MikroORM;
  readonly #options: FlowRunStoreOptions;

  constructor(orm: MikroORM, options: FlowRunStoreOptions) {
    this.#orm = orm;
    this.#options = options;
  }

  transaction<T>(
    work: (tx: FlowRunTransaction) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    return runTransaction(
      this.#orm,
      (em) => work(new PgFlowRunTransaction(em, this.#options)),
      options,
    );
  }

  findFlowRun(flowRunId: string): Promise<FlowRunRecord | null> {
    return translatingErrors(async () => {
      const em = this.#orm.em.fork();
      const entity = await em.findOne(FlowRunEntity, { id: flowRunId });
      return entity === null ? null : record(entity, await currentState(em, entity));
    });
  }

  listFlowRuns(
    filter: FlowRunFilter,
    limit: number,
    after: Cursor | undefined,
  ): Promise<FlowRunRecord[]> {
    return translatingErrors(async () => {
      const em = this.#orm.em.fork();
      const where: Record<string, unknown>[] = [];
      if (filter.flowId !== null) where.push({ flowId: filter.flowId });
      if (filter.deploymentId !== null) where.push({ deploymentId: filter.deploymentId });
      if (filter.stateTypes.length > 0) where.push({ stateType: { $in: [...filter.stateTypes] } });
      if (filter.tags.length > 0) where.push({ tags: { $contains: [...filter.tags] } });
      where.push(afterCursor(after));
      const entities = await em.find(
        FlowRunEntity,
        { $and: where },
        { orderBy: { created: "asc", id: "asc" }, limit },
      );
      const stateOf = await currentStatesOf(em, "flow_run_state", entities);
      return entities.map((entity) => record(entity, stateOf(entity.stateId)));
    });
  }

  deleteFlowRun(flowRunId: string): Promise<boolean> {
    return translatingErrors(() =>
      this.#orm.em
        .fork()
        .transactional((em) => deleteFlowRunFreeingSlots(em, flowRunId, this.#options.clock.now())),
    );
  }

  listStates(flowRunId: string): Promise<State[] | null> {
    return translatingErrors(() => listStates(this.#orm.em.fork(), FLOW_RUN_TABLES, flowRunId));
  }

  statesSince(flowRunId: string, afterSeq: number): Promise<{ seq: number; state: State }[]> {
    return translatingErrors(() =>
      statesSince(this.#orm.em.fork(), FLOW_RUN_TABLES, flowRunId, afterSeq),
    );
  }

  watchStart(flowRunId: string): Promise<{ state: State | null; seq: number } | null> {
    return translatingErrors(() => watchStart(this.#orm.em.fork(), FLOW_RUN_TABLES, flowRunId));
  }
}

/** What the lock reads besides the run: its current state, newest timestamp and flow. */
type ContextRow = Partial<StateColumns> & {
  latest: Date | string | null;
  flow_name: string | null;
  flow_tags: string[] | null;
};

class PgFlowRunTransaction implements FlowRunTransaction {
  readonly #em: EntityManager;
  readonly #entities = new Map<string, FlowRunEntity>();
  readonly #latestStates = new Map<string, Date>();
  readonly #flows = new Map<string, KnownFlow>();
  readonly deps: FlowOrchestrationDeps;
  readonly stateWriter: FlowRunStateWriter;

  constructor(em: EntityManager, options: FlowRunStoreOptions) {
    this.#em = em;
    const { clock, ids, settings } = options;
    this.deps = {
      clock,
      ids,
      settings,
      flowRunStates: new PgFlowRunStateTimestamps(em, this.#latestStates),
      deployments: new PgDeploymentReader(em),
      globalLimits: new PgGlobalConcurrencyLimits(em, clock),
      leases: new PgLeaseStore(em, clock, ids),
      events: new PgEventOutbox(em),
      relatedResources: new PgRelatedResourceReader(em, this.#flows),
      subflowParentTasks: new PgSubflowParentTasks(em, options),
    };
    this.stateWriter = new FlowRunStateWriter(em, async (run, state) => {
      const latest = this.#latestStates.get(run.id);
      if (latest === undefined || state.timestamp > latest)
        this.#latestStates.set(run.id, state.timestamp);
      await this.saveFlowRun(run);
    });
  }

  /**
   * Two round trips: the run row locked, then — in a statement issued after the lock was
   * granted, so it sees what the previous holder committed — its current state, the newest
   * state timestamp (EnsureFlowRunStateTimestampIsUnique) and its flow (the event's related
   * resources). One joined `FOR UPDATE` would read the state from before the wait.
   */
  async lockFlowRun(flowRunId: string) {
    const [columns] = await this.#em.execute<Record<string, unknown>[]>(
      `select * from flow_run where id = ? for update`,
      [flowRunId],
    );
    if (columns === undefined) return null;
    // Registered with the unit of work, so the final flush writes what orchestration changed.
    const entity = this.#em.map(FlowRunEntity, columns);
    this.#entities.set(entity.id, entity);
    const [row] = await this.#em.execute<ContextRow[]>(
      `select s.id, s.type, s.name, s."timestamp", s.message, s.state_details, s.data,
         (select max("timestamp") from flow_run_state where flow_run_id = ?) as latest,
         f.name as flow_name, f.tags as flow_tags
       from (select 1) one
       left join flow_run_state s on s.id = ?
       left join flow f on f.id = ?`,
      [entity.id, entity.stateId ?? null, entity.flowId],
    );
    if (row?.latest != null) this.#latestStates.set(entity.id, toDate(row.latest));
    if (row?.flow_name != null) {
      this.#flows.set(entity.flowId, {
        id: entity.flowId,
        name: row.flow_name,
        tags: row.flow_tags ?? [],
      });
    }
    const state = row?.id == null ? null : stateFromColumns(row as StateColumns);
    return { run: flowRunFromEntity(entity), state };
  }

  async saveFlowRun(run: FlowRun): Promise<void> {
    const entity = this.#entities.get(run.id);
    if (entity === undefined)
      throw new Error(`flow run ${run.id} was not loaded in this transaction`);
    applyFlowRun(entity, run);
    await this.#em.flush();
  }

  async insertFlowRun(fields: NewFlowRun) {
    if ((await this.#em.count(FlowEntity, { id: fields.flowId })) === 0)
      return { missing: "flow" as const };
    if (
      fields.deploymentId !== null &&
      (await this.#em.count(DeploymentEntity, { id: fields.deploymentId })) === 0
    ) {
      return { missing: "deployment" as const };
    }
    const id = this.deps.ids.newId();
    const now = this.deps.clock.now();
    // The unique (flow_id, idempotency_key) index decides a race between two creators.
    const inserted = await this.#em.execute<{ id: string }[]>(
      `insert into flow_run (id, flow_id, deployment_id, name, parameters, tags, parent_task_run_id,
         infrastructure_pid, idempotency_key, empirical_policy, run_count, total_run_time, created, updated)
       values (?, ?, ?, ?, ?::jsonb, ?::text[], ?, ?, ?, ?::jsonb, 0, 0, ?, ?)
       on conflict (flow_id, idempotency_key) do nothing returning id`,
      [
        id,
        fields.flowId,
        fields.deploymentId,
        fields.name,
        JSON.stringify(fields.parameters),
        pgTextArray(fields.tags),
        fields.parentTaskRunId,
        fields.infrastructurePid,
        fields.idempotencyKey,
        JSON.stringify(fields.empiricalPolicy),
        now,
        now,
      ],
    );
    const created = inserted.length === 1;
    const runId = created
      ? id
      : (
          await this.#em.findOneOrFail(FlowRunEntity, {
            flowId: fields.flowId,
            idempotencyKey: fields.idempotencyKey,
          })
        ).id;
    const locked = await this.lockFlowRun(runId);
    if (locked === null) throw new Error(`flow run ${runId} vanished`);
    return { ...locked, created };
  }

  async putInput(flowRunId: string, key: string, value: string): Promise<void> {
    await this.#em.execute(
      `insert into flow_run_input (id, flow_run_id, key, value, created) values (?, ?, ?, ?, ?)
       on conflict (flow_run_id, key) do update set value = excluded.value`,
      [this.deps.ids.newId(), flowRunId, key, value, this.deps.clock.now()],
      "run",
    );
  }

  async readInput(flowRunId: string, key: string): Promise<string | null> {
    const input = await this.#em.findOne(FlowRunInputEntity, { flowRunId, key });
    return input?.value ?? null;
  }
}

async function currentState(em: EntityManager, entity: FlowRunEntity): Promise<State | null> {
  if (entity.stateId == null) return null;
  const row = await em.findOne(FlowRunStateEntity, { id: entity.stateId });
  return row === null ? null : stateFromRow(row);
}

function record(entity: FlowRunEntity, state: State | null): FlowRunRecord {
  return {
    run: flowRunFromEntity(entity),
    state,
    parameters: entity.parameters as Record<string, JsonValue>,
    created: entity.created,
    updated: entity.updated,
  };
}
