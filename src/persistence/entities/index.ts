/** The explicit entity list MikroORM is configured with. */
import { ConcurrencyLeaseSchema, ConcurrencyLimitSchema } from "./concurrency.ts";
import { DeploymentSchema } from "./deployment.ts";
import { EventSchema } from "./event.ts";
import { FlowSchema } from "./flow.ts";
import { FlowRunInputSchema, FlowRunSchema, FlowRunStateSchema } from "./flow-run.ts";
import { TagLimitHolderSchema, TagLimitSchema } from "./tag-limit.ts";
import { TaskRunSchema, TaskRunStateCacheSchema, TaskRunStateSchema } from "./task-run.ts";

export { ConcurrencyLeaseEntity, ConcurrencyLimitEntity } from "./concurrency.ts";
export { DeploymentEntity } from "./deployment.ts";
export { EventEntity } from "./event.ts";
export { FlowEntity } from "./flow.ts";
export { FlowRunEntity, FlowRunInputEntity, FlowRunStateEntity } from "./flow-run.ts";
export { TagLimitEntity, TagLimitHolderEntity } from "./tag-limit.ts";
export { TaskRunEntity, TaskRunStateCacheEntity, TaskRunStateEntity } from "./task-run.ts";

export const entities = [
  FlowSchema,
  DeploymentSchema,
  ConcurrencyLimitSchema,
  ConcurrencyLeaseSchema,
  FlowRunSchema,
  FlowRunStateSchema,
  FlowRunInputSchema,
  EventSchema,
  TaskRunSchema,
  TaskRunStateSchema,
  TaskRunStateCacheSchema,
  TagLimitSchema,
  TagLimitHolderSchema,
];
