import { defineEntity, p } from "@mikro-orm/core";

/**
 * The transactional outbox: one row per committed transition, written in the transition's
 * transaction. `seq` orders a run's events (its transitions are serialized by the run lock).
 */
export const EventSchema = defineEntity({
  name: "Event",
  tableName: "event",
  indexes: [{ properties: ["resourceId", "seq"] }],
  properties: {
    seq: p.bigint("number").primary().autoincrement(),
    id: p.uuid().unique(),
    event: p.string(),
    occurred: p.datetime(),
    follows: p.uuid().nullable(),
    /** The run the event is about (flow or task run id). */
    resourceId: p.uuid(),
    resource: p.json<Record<string, string>>(),
    related: p.json<Record<string, string>[]>(),
    payload: p.json<unknown>(),
  },
});
export class EventEntity extends EventSchema.class {}
EventSchema.setClass(EventEntity);
