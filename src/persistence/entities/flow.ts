import { defineEntity, p } from "@mikro-orm/core";

const FlowSchema = defineEntity({
  name: "Flow",
  tableName: "flow",
  properties: {
    id: p.uuid().primary(),
    name: p.string().unique(),
    tags: p.array().default([]),
    created: p.datetime().onCreate(() => new Date()),
    updated: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});

export class FlowEntity extends FlowSchema.class {}
FlowSchema.setClass(FlowEntity);

export { FlowSchema };
