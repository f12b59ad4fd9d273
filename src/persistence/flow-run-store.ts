/**
 * Flow runs in PostgreSQL: the generic run store for the flow kind, its transaction view
 * (whose ports all work inside the unit of work of the transaction, and whose task runs are
 * the same transaction's), run creation and run inputs.
 */
import type { EntityManager, MikroORM } from "@mikro-orm/postgresql";
import type {
  FlowRunFilter,
  FlowRunPorts,
  FlowRunRecord,
  FlowRunTransaction,
  NewFlowRun,
} from "../application/flow-run-store.ts";
import type { TaskRunTransaction } from "../application/task-run-store.ts";
import type { FlowRun, JsonValue, State } from "../domain/index.ts";
import {
  DeploymentEntity,
  FlowEntity,
  type FlowRunEntity,
  FlowRunInputEntity,
} from "./entities/index.ts";
import { PgDeploymentReader, PgRelatedResourceReader } from "./orchestration/flow-ports.ts";
import { PgGlobalConcurrencyLimits } from "./orchestration/global-limits.ts";
import { PgLeaseStore } from "./orchestration/lease-store.ts";
import { flowRunDependents } from "./orchestration/lock-runs.ts";
import { PgEventOutbox, PgStateTimestamps } from "./orchestration/run-ports.ts";
import { PgStateWriter } from "./orchestration/state-writer.ts";
import type { HeldRun, OrchestrationUnitOfWork } from "./orchestration/unit-of-work.ts";
import { deleteFlowRunFreeingSlots } from "./run-deletion.ts";
import { FLOW_RUNS } from "./run-kinds.ts";
import { PgRunStore, type RunStoreOptions } from "./run-store.ts";
import { pgTextArray } from "./sql.ts";
import { flowRunFromEntity } from "./state-mapping.ts";
import { taskRunTransaction } from "./task-run-store.ts";

export class PgFlowRunStore extends PgRunStore<
  FlowRun,
  FlowRunEntity,
  FlowRunTransaction,
  FlowRunRecord,
  FlowRunFilter
> {
  constructor(orm: MikroORM, options: RunStoreOptions) {
    super(orm, FLOW_RUNS, options);
  }

  protected view(uow: OrchestrationUnitOfWork): FlowRunTransaction {
    return flowRunTransaction(uow, this.options);
  }

  protected dependents(runs: readonly { held: HeldRun }[]) {
    return flowRunDependents(runs.map(({ held }) => held.run as FlowRun));
  }

  protected record(entity: FlowRunEntity, state: State | null): FlowRunRecord {
    return {
      run: flowRunFromEntity(entity),
      state,
      parameters: entity.parameters as Record<string, JsonValue>,
      created: entity.created,
      updated: entity.updated,
    };
  }

  protected conditions(filter: FlowRunFilter): Record<string, unknown>[] {
    const where: Record<string, unknown>[] = [];
    if (filter.flowId !== null) where.push({ flowId: filter.flowId });
    if (filter.deploymentId !== null) where.push({ deploymentId: filter.deploymentId });
    if (filter.stateTypes.length > 0) where.push({ stateType: { $in: [...filter.stateTypes] } });
    if (filter.tags.length > 0) where.push({ tags: { $contains: [...filter.tags] } });
    return where;
  }

  /** Deletes the flow run and its task runs, freeing the slots and leases they hold. */
  protected override deleteRun(em: EntityManager, flowRunId: string): Promise<boolean> {
    return deleteFlowRunFreeingSlots(em, flowRunId, this.options.clock.now());
  }
}

/** The flow-run view of a unit of work (one per unit of work). */
export function flowRunTransaction(
  uow: OrchestrationUnitOfWork,
  options: RunStoreOptions,
): FlowRunTransaction {
  return uow.view(FLOW_RUNS, () => new PgFlowRunTransaction(uow, options));
}

class PgFlowRunTransaction implements FlowRunTransaction {
  readonly #uow: OrchestrationUnitOfWork;
  readonly #options: RunStoreOptions;
  readonly deps: FlowRunPorts;
  readonly stateWriter: PgStateWriter<FlowRun>;

  constructor(uow: OrchestrationUnitOfWork, options: RunStoreOptions) {
    this.#uow = uow;
    this.#options = options;
    const { em } = uow;
    const { clock, ids, settings } = options;
    this.deps = {
      clock,
      ids,
      settings,
      flowRunStates: new PgStateTimestamps(uow, FLOW_RUNS),
      deployments: new PgDeploymentReader(em, uow.limits),
      globalLimits: new PgGlobalConcurrencyLimits(em, clock, uow.limits),
      leases: new PgLeaseStore(em, clock, ids),
      events: new PgEventOutbox(uow),
      relatedResources: new PgRelatedResourceReader(uow),
    };
    this.stateWriter = new PgStateWriter(uow, FLOW_RUNS);
  }

  get taskRuns(): TaskRunTransaction {
    return taskRunTransaction(this.#uow, this.#options);
  }

  async lock(flowRunId: string) {
    const held = await this.#uow.lockOne(FLOW_RUNS, flowRunId);
    return held === null ? null : { run: held.run as FlowRun, state: held.state };
  }

  async insertFlowRun(fields: NewFlowRun) {
    const { em } = this.#uow;
    if ((await em.count(FlowEntity, { id: fields.flowId })) === 0)
      return { missing: "flow" as const };
    if (
      fields.deploymentId !== null &&
      (await em.count(DeploymentEntity, { id: fields.deploymentId })) === 0
    ) {
      return { missing: "deployment" as const };
    }
    const id = this.deps.ids.newId();
    const now = this.deps.clock.now();
    // The unique (flow_id, idempotency_key) index decides a race between two creators.
    const inserted = await em.execute<{ id: string }[]>(
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
    const [existing] = created
      ? [{ id }]
      : await em.execute<{ id: string }[]>(
          `select id from flow_run where flow_id = ? and idempotency_key = ?`,
          [fields.flowId, fields.idempotencyKey],
        );
    const locked = existing === undefined ? null : await this.lock(existing.id);
    if (locked === null) throw new Error(`flow run ${existing?.id ?? id} vanished`);
    return { ...locked, created };
  }

  async putInput(flowRunId: string, key: string, value: string): Promise<void> {
    await this.#uow.em.execute(
      `insert into flow_run_input (id, flow_run_id, key, value, created) values (?, ?, ?, ?, ?)
       on conflict (flow_run_id, key) do update set value = excluded.value`,
      [this.deps.ids.newId(), flowRunId, key, value, this.deps.clock.now()],
      "run",
    );
  }

  async readInput(flowRunId: string, key: string): Promise<string | null> {
    const input = await this.#uow.em.findOne(FlowRunInputEntity, { flowRunId, key });
    return input?.value ?? null;
  }
}
