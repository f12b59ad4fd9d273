/**
 * Rows ↔ domain for states, flow runs and task runs. State details are JSONB; their three time fields
 * are stored as ISO strings and revived as Dates on the way back. A state's decision is JSONB
 * too, stored as the domain object; rows that do not select it leave it out.
 */
import type {
  FlowRun,
  FlowRunPolicy,
  JsonValue,
  RunBookkeeping,
  State,
  StateDecision,
  StateDetails,
  StateType,
  TaskRun,
  TaskRunPolicy,
} from "../domain/index.ts";
import { defaultFlowRunPolicy, defaultTaskRunPolicy } from "../domain/index.ts";
import type { FlowRunEntity, TaskRunEntity } from "./entities/index.ts";

const DATE_FIELDS = ["scheduledTime", "cacheExpiration", "pauseTimeout"] as const;

/** Raw queries return timestamps as text (MikroORM's pg type overrides); entities as Dates. */
export function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

/** A state row of either run kind. */
export interface StateRow {
  id: string;
  type: string;
  name: string;
  timestamp: Date | string;
  message?: string | null;
  stateDetails: Record<string, unknown>;
  data?: unknown;
  /** Absent when the query did not select it; `null` for states written before decisions. */
  decision?: unknown;
}

export function detailsToJson(details: StateDetails): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    if (value === undefined) continue;
    json[key] = value instanceof Date ? value.toISOString() : value;
  }
  return json;
}

export function detailsFromJson(json: Record<string, unknown>): StateDetails {
  const details = { ...json } as StateDetails & Record<string, unknown>;
  for (const field of DATE_FIELDS) {
    const value = json[field];
    if (typeof value === "string") details[field] = new Date(value);
  }
  return details;
}

export function stateFromRow(row: StateRow): State {
  return {
    id: row.id,
    type: row.type as StateType,
    name: row.name,
    timestamp: toDate(row.timestamp),
    message: row.message ?? null,
    stateDetails: detailsFromJson(row.stateDetails),
    data: (row.data ?? null) as JsonValue | null,
    ...(row.decision !== undefined && { decision: row.decision as StateDecision | null }),
  };
}

/** The columns of a state row for `state`. */
export function stateColumns(state: State) {
  return {
    id: state.id,
    type: state.type,
    name: state.name,
    timestamp: state.timestamp,
    message: state.message,
    stateDetails: detailsToJson(state.stateDetails),
    data: state.data,
    decision: state.decision ?? null,
  };
}

export function flowRunFromEntity(entity: FlowRunEntity): FlowRun {
  return {
    id: entity.id,
    flowId: entity.flowId,
    name: entity.name,
    deploymentId: entity.deploymentId ?? null,
    parentTaskRunId: entity.parentTaskRunId ?? null,
    infrastructurePid: entity.infrastructurePid ?? null,
    workQueueId: entity.workQueueId ?? null,
    idempotencyKey: entity.idempotencyKey ?? null,
    createdBy: entity.createdBy ?? null,
    empiricalPolicy: {
      ...defaultFlowRunPolicy(),
      ...(entity.empiricalPolicy as Partial<FlowRunPolicy>),
    },
    ...bookkeepingFromEntity(entity),
  };
}

/** What orchestration may change on a flow run, as its entity's properties. */
export function flowRunColumns(run: FlowRun): Partial<FlowRunEntity> {
  return {
    name: run.name,
    deploymentId: run.deploymentId,
    infrastructurePid: run.infrastructurePid,
    empiricalPolicy: { ...run.empiricalPolicy },
    ...bookkeepingColumns(run),
  };
}

export function taskRunFromEntity(entity: TaskRunEntity): TaskRun {
  return {
    id: entity.id,
    flowRunId: entity.flowRunId ?? null,
    name: entity.name,
    taskKey: entity.taskKey,
    dynamicKey: entity.dynamicKey,
    flowRunRunCount: Number(entity.flowRunRunCount),
    cacheKey: entity.cacheKey ?? null,
    cacheExpiration: entity.cacheExpiration ?? null,
    empiricalPolicy: {
      ...defaultTaskRunPolicy(),
      ...(entity.empiricalPolicy as Partial<TaskRunPolicy>),
    },
    ...bookkeepingFromEntity(entity),
  };
}

/** What orchestration may change on a task run, as its entity's properties. */
export function taskRunColumns(run: TaskRun): Partial<TaskRunEntity> {
  return {
    name: run.name,
    flowRunRunCount: run.flowRunRunCount,
    cacheKey: run.cacheKey,
    cacheExpiration: run.cacheExpiration,
    empiricalPolicy: { ...run.empiricalPolicy },
    ...bookkeepingColumns(run),
  };
}

type BookkeepingColumns = Pick<
  FlowRunEntity,
  | "stateId"
  | "stateType"
  | "stateName"
  | "stateTimestamp"
  | "runCount"
  | "expectedStartTime"
  | "nextScheduledStartTime"
  | "startTime"
  | "endTime"
  | "totalRunTime"
  | "tags"
>;

function bookkeepingFromEntity(entity: BookkeepingColumns): Omit<RunBookkeeping, "id"> {
  return {
    stateId: entity.stateId ?? null,
    stateType: (entity.stateType ?? null) as StateType | null,
    stateName: entity.stateName ?? null,
    stateTimestamp: entity.stateTimestamp ?? null,
    runCount: Number(entity.runCount),
    expectedStartTime: entity.expectedStartTime ?? null,
    nextScheduledStartTime: entity.nextScheduledStartTime ?? null,
    startTime: entity.startTime ?? null,
    endTime: entity.endTime ?? null,
    totalRunTime: Number(entity.totalRunTime),
    tags: [...entity.tags],
  };
}

function bookkeepingColumns(run: RunBookkeeping): BookkeepingColumns {
  return {
    stateId: run.stateId,
    stateType: run.stateType,
    stateName: run.stateName,
    stateTimestamp: run.stateTimestamp,
    runCount: run.runCount,
    expectedStartTime: run.expectedStartTime,
    nextScheduledStartTime: run.nextScheduledStartTime,
    startTime: run.startTime,
    endTime: run.endTime,
    totalRunTime: run.totalRunTime,
    tags: [...run.tags],
  };
}

/** State columns as raw queries return them. */
export interface StateColumns {
  id: string;
  type: string;
  name: string;
  timestamp: Date | string;
  message: string | null;
  state_details: Record<string, unknown>;
  data: unknown;
  decision?: unknown;
}

export function stateFromColumns(row: StateColumns): State {
  return stateFromRow({ ...row, stateDetails: row.state_details });
}
