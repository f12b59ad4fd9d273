/**
 * The two run kinds as persistence sees them: a run table and its state table, their
 * entities, the mappers between the run entity and the domain run, and what the lock of a
 * batch reads besides the run and its current state. What is generic over the run kind (the
 * unit of work, the batch lock, the stores) is written once against a {@link RunKindTable}.
 */
import type { EntityClass } from "@mikro-orm/core";
import type { FlowRun, Run, RunKind, TaskRun } from "../domain/index.ts";
import {
  FlowRunEntity,
  FlowRunStateEntity,
  TaskRunEntity,
  TaskRunStateEntity,
} from "./entities/index.ts";
import { FLOW_RUN_TABLES, type RunTables, TASK_RUN_TABLES } from "./run-history.ts";
import {
  flowRunColumns,
  flowRunFromEntity,
  taskRunColumns,
  taskRunFromEntity,
} from "./state-mapping.ts";

/** A run entity of either kind. */
export type RunEntity = FlowRunEntity | TaskRunEntity;

export interface RunKindTable<R extends Run = Run, E extends RunEntity = RunEntity>
  extends RunTables {
  readonly kind: RunKind;
  readonly runEntity: EntityClass<E>;
  readonly stateEntity: EntityClass<FlowRunStateEntity | TaskRunStateEntity>;
  /** The state entity's property that references its run. */
  readonly stateRunProperty: "flowRunId" | "taskRunId";
  /** The run of an entity, or of a row mapped to the entity's properties. */
  toRun(entity: E): R;
  /** What orchestration may change on the run, as the entity's properties. */
  runColumns(run: R): Partial<E>;
  /**
   * Columns (aliased `x_…`) and joins the lock statement adds for what the kind's ports read
   * of every locked run; `r` is the run table. Read in the lock's snapshot, without a lock.
   */
  readonly lockExtras: { readonly columns: string; readonly joins: string };
}

export const FLOW_RUNS: RunKindTable<FlowRun, FlowRunEntity> = {
  ...FLOW_RUN_TABLES,
  kind: "flow_run",
  runEntity: FlowRunEntity,
  stateEntity: FlowRunStateEntity,
  stateRunProperty: "flowRunId",
  toRun: flowRunFromEntity,
  runColumns: flowRunColumns,
  // The run's flow: the related resources of its state events.
  lockExtras: {
    columns: `f.name as x_flow_name, f.tags as x_flow_tags`,
    joins: `left join flow f on f.id = r.flow_id`,
  },
};

export const TASK_RUNS: RunKindTable<TaskRun, TaskRunEntity> = {
  ...TASK_RUN_TABLES,
  kind: "task_run",
  runEntity: TaskRunEntity,
  stateEntity: TaskRunStateEntity,
  stateRunProperty: "taskRunId",
  toRun: taskRunFromEntity,
  runColumns: taskRunColumns,
  // The parent flow run and its current state: what the task rules check at RUNNING.
  lockExtras: {
    columns: `to_jsonb(p) as x_parent_run, to_jsonb(ps) as x_parent_state`,
    joins: `left join flow_run p on p.id = r.flow_run_id left join flow_run_state ps on ps.id = p.state_id`,
  },
};
