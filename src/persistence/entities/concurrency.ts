import { defineEntity, p } from "@mikro-orm/core";

/** A global (V2) concurrency limit: slot counts, changed only by conditional UPDATEs. */
export const ConcurrencyLimitSchema = defineEntity({
  name: "ConcurrencyLimit",
  tableName: "concurrency_limit_v2",
  properties: {
    id: p.uuid().primary(),
    name: p.string().unique(),
    active: p.boolean().default(true),
    limit: p.integer(),
    activeSlots: p.integer().default(0),
    deniedSlots: p.integer().default(0),
    slotDecayPerSecond: p.double().default(0),
    avgSlotOccupancySeconds: p.double().default(2),
    updated: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export class ConcurrencyLimitEntity extends ConcurrencyLimitSchema.class {}
ConcurrencyLimitSchema.setClass(ConcurrencyLimitEntity);

/** A lease: `slots` slots on each of `resourceIds` until `expiration`, held by `holder`. */
export const ConcurrencyLeaseSchema = defineEntity({
  name: "ConcurrencyLease",
  tableName: "concurrency_lease",
  properties: {
    id: p.uuid().primary(),
    resourceIds: p.array().columnType("uuid[]"),
    expiration: p.datetime().index(),
    createdAt: p.datetime(),
    slots: p.integer().default(1),
    holderType: p.string().nullable(),
    holderId: p.uuid().nullable().index(),
  },
});
export class ConcurrencyLeaseEntity extends ConcurrencyLeaseSchema.class {}
ConcurrencyLeaseSchema.setClass(ConcurrencyLeaseEntity);
