import { defineEntity, p } from "@mikro-orm/core";

/**
 * The transactional outbox: one row per committed transition, written in the transition's
 * transaction. `seq` orders a run's events (its transitions are serialized by the run lock).
 * Every insert announces its run on the `flowgate_events` channel (payload: the run id),
 * which PostgreSQL delivers when the transaction commits and never when it rolls back;
 * identical announcements of one transaction are delivered once, so a batch's flush costs no
 * extra round trip to announce its runs.
 */
export const EventSchema = defineEntity({
  name: "Event",
  tableName: "event",
  indexes: [{ properties: ["resourceId", "seq"] }],
  triggers: [
    {
      name: "announce",
      timing: "after",
      events: ["insert"],
      forEach: "row",
      body: "perform pg_notify('flowgate_events', NEW.resource_id::text); return null",
    },
  ],
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
