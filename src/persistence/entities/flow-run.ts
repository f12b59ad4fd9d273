import { defineEntity, p } from "@mikro-orm/core";
import { DeploymentSchema } from "./deployment.ts";
import { FlowSchema } from "./flow.ts";
import { runBookkeepingColumns, stateColumns } from "./run-columns.ts";

/** A flow run. Orchestration bookkeeping columns mirror the domain `FlowRun` (spec §1.5). */
export const FlowRunSchema = defineEntity({
  name: "FlowRun",
  tableName: "flow_run",
  uniques: [{ properties: ["flowId", "idempotencyKey"] }],
  indexes: [
    { properties: ["stateType", "nextScheduledStartTime"] },
    { properties: ["created", "id"] },
  ],
  properties: {
    id: p.uuid().primary(),
    flowId: () =>
      p.manyToOne(FlowSchema).mapToPk().fieldName("flow_id").deleteRule("cascade").index(),
    deploymentId: () =>
      p
        .manyToOne(DeploymentSchema)
        .mapToPk()
        .fieldName("deployment_id")
        .nullable()
        .deleteRule("set null")
        .index(),
    name: p.string(),
    parameters: p.json<Record<string, unknown>>(),
    tags: p.array().default([]),
    parentTaskRunId: p.uuid().nullable().index(),
    infrastructurePid: p.string().nullable(),
    workQueueId: p.uuid().nullable(),
    idempotencyKey: p.string().nullable(),
    createdBy: p
      .json<{ type: string; id: string | null; displayValue: string | null }>()
      .nullable(),
    empiricalPolicy: p.json<Record<string, unknown>>(),
    ...runBookkeepingColumns(),
  },
});
export class FlowRunEntity extends FlowRunSchema.class {}
FlowRunSchema.setClass(FlowRunEntity);

/** One row per validated flow-run state; (flow_run_id, timestamp) is unique. */
export const FlowRunStateSchema = defineEntity({
  name: "FlowRunState",
  tableName: "flow_run_state",
  uniques: [{ properties: ["flowRunId", "timestamp"] }],
  properties: {
    ...stateColumns(),
    flowRunId: () =>
      p.manyToOne(FlowRunSchema).mapToPk().fieldName("flow_run_id").deleteRule("cascade"),
  },
});
export class FlowRunStateEntity extends FlowRunStateSchema.class {}
FlowRunStateSchema.setClass(FlowRunStateEntity);

/** Run inputs (pause/resume schemas and responses), JSON text keyed per run. */
export const FlowRunInputSchema = defineEntity({
  name: "FlowRunInput",
  tableName: "flow_run_input",
  uniques: [{ properties: ["flowRunId", "key"] }],
  properties: {
    id: p.uuid().primary(),
    flowRunId: () =>
      p.manyToOne(FlowRunSchema).mapToPk().fieldName("flow_run_id").deleteRule("cascade"),
    key: p.string(),
    value: p.text(),
    created: p.datetime().onCreate(() => new Date()),
  },
});
export class FlowRunInputEntity extends FlowRunInputSchema.class {}
FlowRunInputSchema.setClass(FlowRunInputEntity);
