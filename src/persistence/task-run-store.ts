/**
 * Task runs in PostgreSQL: the generic run store for the task kind, its transaction view
 * (whose ports all work inside the unit of work of the transaction) and run creation.
 */
import type { EntityManager, MikroORM } from "@mikro-orm/postgresql";
import type { TransitionOptions } from "../application/run-store.ts";
import type {
  NewTaskRun,
  TaskRunFilter,
  TaskRunRecord,
  TaskRunTransaction,
} from "../application/task-run-store.ts";
import type { Run, State, TaskRun } from "../domain/index.ts";
import type { TaskOrchestrationDeps } from "../orchestration/index.ts";
import { FlowRunEntity, type TaskRunEntity } from "./entities/index.ts";
import { PgGlobalConcurrencyLimits } from "./orchestration/global-limits.ts";
import { PgLeaseStore } from "./orchestration/lease-store.ts";
import { taskRunDependents } from "./orchestration/lock-runs.ts";
import { PgEventOutbox, PgStateTimestamps } from "./orchestration/run-ports.ts";
import { PgStateWriter } from "./orchestration/state-writer.ts";
import {
  PgFlowRunReader,
  PgTagConcurrencyLimits,
  PgTaskRunStateCache,
} from "./orchestration/task-ports.ts";
import type { HeldRun, OrchestrationUnitOfWork } from "./orchestration/unit-of-work.ts";
import { deleteTaskRunFreeingSlots } from "./run-deletion.ts";
import { TASK_RUNS } from "./run-kinds.ts";
import { PgRunStore, type RunStoreOptions } from "./run-store.ts";
import { pgTextArray } from "./sql.ts";
import { taskRunFromEntity } from "./state-mapping.ts";

export class PgTaskRunStore extends PgRunStore<
  TaskRun,
  TaskRunEntity,
  TaskRunTransaction,
  TaskRunRecord,
  TaskRunFilter
> {
  constructor(orm: MikroORM, options: RunStoreOptions) {
    super(orm, TASK_RUNS, options);
  }

  protected view(uow: OrchestrationUnitOfWork): TaskRunTransaction {
    return taskRunTransaction(uow, this.options);
  }

  protected dependents(runs: readonly { held: HeldRun; options: TransitionOptions<Run> }[]) {
    return taskRunDependents(
      runs.map(({ held, options }) => ({
        id: held.run.id,
        tags: held.run.tags,
        proposedType: options.proposedType ?? null,
      })),
    );
  }

  protected record(entity: TaskRunEntity, state: State | null): TaskRunRecord {
    return {
      run: taskRunFromEntity(entity),
      state,
      created: entity.created,
      updated: entity.updated,
    };
  }

  protected conditions(filter: TaskRunFilter): Record<string, unknown>[] {
    const where: Record<string, unknown>[] = [];
    if (filter.flowRunId !== null) where.push({ flowRunId: filter.flowRunId });
    if (filter.stateTypes.length > 0) where.push({ stateType: { $in: [...filter.stateTypes] } });
    if (filter.tags.length > 0) where.push({ tags: { $contains: [...filter.tags] } });
    return where;
  }

  /** Deletes the task run, freeing the slots and leases it holds. */
  protected override deleteRun(em: EntityManager, taskRunId: string): Promise<boolean> {
    return deleteTaskRunFreeingSlots(em, taskRunId, this.options.clock.now());
  }
}

/** The task-run view of a unit of work (one per unit of work). */
export function taskRunTransaction(
  uow: OrchestrationUnitOfWork,
  options: RunStoreOptions,
): TaskRunTransaction {
  return uow.view(TASK_RUNS, () => new PgTaskRunTransaction(uow, options));
}

class PgTaskRunTransaction implements TaskRunTransaction {
  readonly #uow: OrchestrationUnitOfWork;
  readonly deps: TaskOrchestrationDeps;
  readonly stateWriter: PgStateWriter<TaskRun>;
  readonly events: PgEventOutbox;

  constructor(uow: OrchestrationUnitOfWork, options: RunStoreOptions) {
    this.#uow = uow;
    const { em } = uow;
    const { clock, ids, settings, random } = options;
    this.deps = {
      clock,
      ids,
      settings,
      flowRuns: new PgFlowRunReader(uow),
      taskRunStates: new PgStateTimestamps(uow, TASK_RUNS),
      tagLimits: new PgTagConcurrencyLimits(em, clock, uow.limits),
      globalLimits: new PgGlobalConcurrencyLimits(em, clock, uow.limits),
      leases: new PgLeaseStore(em, clock, ids),
      cache: new PgTaskRunStateCache(uow, ids, clock),
      random: { random },
    };
    this.stateWriter = new PgStateWriter(uow, TASK_RUNS);
    this.events = new PgEventOutbox(uow);
  }

  async lock(taskRunId: string) {
    const held = await this.#uow.lockOne(TASK_RUNS, taskRunId);
    return held === null ? null : { run: held.run as TaskRun, state: held.state };
  }

  async insertTaskRun(fields: NewTaskRun) {
    const { em } = this.#uow;
    if (
      fields.flowRunId !== null &&
      (await em.count(FlowRunEntity, { id: fields.flowRunId })) === 0
    ) {
      return { missing: "flow run" as const };
    }
    const id = this.deps.ids.newId();
    const now = this.deps.clock.now();
    // The unique (flow_run_id, task_key, dynamic_key) index decides a race between creators.
    const inserted = await em.execute<{ id: string }[]>(
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
    const [existing] = created
      ? [{ id }]
      : await em.execute<{ id: string }[]>(
          `select id from task_run where flow_run_id is not distinct from ? and task_key = ? and dynamic_key = ?`,
          [fields.flowRunId, fields.taskKey, fields.dynamicKey],
        );
    const locked = existing === undefined ? null : await this.lock(existing.id);
    if (locked === null) throw new Error(`task run ${existing?.id ?? id} vanished`);
    return { ...locked, created };
  }
}
