import { defineEntity, p } from "@mikro-orm/core";
import { TaskRunSchema } from "./task-run.ts";

/** A tag (V1) concurrency limit. Its active slots are its holder rows, nothing else. */
export const TagLimitSchema = defineEntity({
  name: "TagLimit",
  tableName: "tag_concurrency_limit",
  properties: {
    id: p.uuid().primary(),
    tag: p.string().unique(),
    concurrencyLimit: p.integer(),
    created: p.datetime().onCreate(() => new Date()),
    updated: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export class TagLimitEntity extends TagLimitSchema.class {}
TagLimitSchema.setClass(TagLimitEntity);

/**
 * One slot of a tag limit held by a task run, until `expires_at` (a crashed holder's slot
 * is reaped). The primary key makes "one slot per limit and task run" a constraint; deleting
 * the limit or the task run frees the slot.
 */
export const TagLimitHolderSchema = defineEntity({
  name: "TagLimitHolder",
  tableName: "tag_concurrency_holder",
  properties: {
    limitId: () =>
      p.manyToOne(TagLimitSchema).mapToPk().fieldName("limit_id").primary().deleteRule("cascade"),
    taskRunId: () =>
      p
        .manyToOne(TaskRunSchema)
        .mapToPk()
        .fieldName("task_run_id")
        .primary()
        .deleteRule("cascade")
        .index(),
    expiresAt: p.datetime().index(),
    created: p.datetime(),
  },
});
export class TagLimitHolderEntity extends TagLimitHolderSchema.class {}
TagLimitHolderSchema.setClass(TagLimitHolderEntity);
