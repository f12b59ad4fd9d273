import { defineEntity, p } from "@mikro-orm/core";
import { ConcurrencyLimitSchema } from "./concurrency.ts";
import { FlowSchema } from "./flow.ts";

/** A deployment; its concurrency limit is a global limit named `deployment:<id>`. */
export const DeploymentSchema = defineEntity({
  name: "Deployment",
  tableName: "deployment",
  uniques: [{ properties: ["flowId", "name"] }],
  properties: {
    id: p.uuid().primary(),
    flowId: () =>
      p.manyToOne(FlowSchema).mapToPk().fieldName("flow_id").deleteRule("cascade").index(),
    name: p.string(),
    concurrencyLimitId: () =>
      p
        .manyToOne(ConcurrencyLimitSchema)
        .mapToPk()
        .fieldName("concurrency_limit_id")
        .nullable()
        .deleteRule("set null"),
    /** `{collisionStrategy, gracePeriodSeconds}`; null means ENQUEUE. */
    concurrencyOptions: p
      .json<{ collisionStrategy: string; gracePeriodSeconds: number | null }>()
      .nullable(),
    created: p.datetime().onCreate(() => new Date()),
    updated: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export class DeploymentEntity extends DeploymentSchema.class {}
DeploymentSchema.setClass(DeploymentEntity);
