import { defineEntity, p } from "@mikro-orm/core";
import { FlowRunSchema } from "./flow-run.ts";
import { runBookkeepingColumns, stateColumns } from "./run-columns.ts";

/** A task run; bookkeeping columns mirror the domain `TaskRun` (spec §1.5). */
export const TaskRunSchema = defineEntity({
  name: "TaskRun",
  tableName: "task_run",
  uniques: [{ properties: ["flowRunId", "taskKey", "dynamicKey"] }],
  indexes: [{ properties: ["created", "id"] }],
  properties: {
    id: p.uuid().primary(),
    flowRunId: () =>
      p
        .manyToOne(FlowRunSchema)
        .mapToPk()
        .fieldName("flow_run_id")
        .nullable()
        .deleteRule("cascade")
        .index(),
    taskKey: p.string(),
    dynamicKey: p.string(),
    name: p.string(),
    tags: p.array().default([]),
    cacheKey: p.text().nullable(),
    cacheExpiration: p.datetime().nullable(),
    empiricalPolicy: p.json<Record<string, unknown>>(),
    flowRunRunCount: p.integer().default(0),
    ...runBookkeepingColumns(),
  },
});
export class TaskRunEntity extends TaskRunSchema.class {}
TaskRunSchema.setClass(TaskRunEntity);

/** One row per validated task-run state; (task_run_id, timestamp) is unique (Fix §8.2.5). */
export const TaskRunStateSchema = defineEntity({
  name: "TaskRunState",
  tableName: "task_run_state",
  uniques: [{ properties: ["taskRunId", "timestamp"] }],
  properties: {
    ...stateColumns(),
    taskRunId: () =>
      p.manyToOne(TaskRunSchema).mapToPk().fieldName("task_run_id").deleteRule("cascade"),
  },
});
export class TaskRunStateEntity extends TaskRunStateSchema.class {}
TaskRunStateSchema.setClass(TaskRunStateEntity);

/** The task result cache: a cache key points at the COMPLETED state that produced it. */
export const TaskRunStateCacheSchema = defineEntity({
  name: "TaskRunStateCache",
  tableName: "task_run_state_cache",
  indexes: [{ properties: ["cacheKey", "created"] }],
  properties: {
    id: p.uuid().primary(),
    cacheKey: p.text(),
    cacheExpiration: p.datetime().nullable(),
    taskRunStateId: () =>
      p
        .manyToOne(TaskRunStateSchema)
        .mapToPk()
        .fieldName("task_run_state_id")
        .deleteRule("cascade")
        .index(),
    created: p.datetime(),
  },
});
export class TaskRunStateCacheEntity extends TaskRunStateCacheSchema.class {}
TaskRunStateCacheSchema.setClass(TaskRunStateCacheEntity);
