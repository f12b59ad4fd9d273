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

/** Copies what orchestration may change on the run back onto its entity. */
export function applyFlowRun(entity: FlowRunEntity, run: FlowRun): void {
  entity.name = run.name;
  entity.deploymentId = run.deploymentId;
  entity.infrastructurePid = run.infrastructurePid;
  entity.empiricalPolicy = { ...run.empiricalPolicy };
  applyBookkeeping(entity, run);
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

/** Copies what orchestration may change on the task run back onto its entity. */
export function applyTaskRun(entity: TaskRunEntity, run: TaskRun): void {
  entity.name = run.name;
  entity.flowRunRunCount = run.flowRunRunCount;
  entity.cacheKey = run.cacheKey;
  entity.cacheExpiration = run.cacheExpiration;
  entity.empiricalPolicy = { ...run.empiricalPolicy };
  applyBookkeeping(entity, run);
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

function applyBookkeeping(entity: BookkeepingColumns, run: RunBookkeeping): void {
  entity.stateId = run.stateId;
  entity.stateType = run.stateType;
  entity.stateName = run.stateName;
  entity.stateTimestamp = run.stateTimestamp;
  entity.runCount = run.runCount;
  entity.expectedStartTime = run.expectedStartTime;
  entity.nextScheduledStartTime = run.nextScheduledStartTime;
  entity.startTime = run.startTime;
  entity.endTime = run.endTime;
  entity.totalRunTime = run.totalRunTime;
  entity.tags = [...run.tags];
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
