/**
 * Concurrency entities the orchestration rules read (spec §1.7): deployment limits, global
 * (V2) and tag (V1) concurrency limits, and the leases that record who holds a slot.
 */

/** What a deployment does when its concurrency limit is full. */
export type CollisionStrategy = "ENQUEUE" | "CANCEL_NEW";

/** A deployment's `concurrency_options`; `null` on the deployment means ENQUEUE. */
export interface ConcurrencyOptions {
  readonly collisionStrategy: CollisionStrategy;
  /** 60..86400 seconds; `null` falls back to the initial lease duration setting. */
  readonly gracePeriodSeconds: number | null;
}

/** A global (V2) concurrency limit. Tag limits are named `tag:<tag>`, deployments' `deployment:<id>`. */
export interface GlobalConcurrencyLimit {
  readonly id: string;
  readonly name: string;
  readonly active: boolean;
  readonly limit: number;
  readonly activeSlots: number;
  readonly deniedSlots: number;
  readonly slotDecayPerSecond: number;
  readonly avgSlotOccupancySeconds: number;
  readonly updated: Date;
}

/** A tag (V1) concurrency limit: `activeSlots` holds the ids of the task runs holding a slot. */
export interface TagConcurrencyLimit {
  readonly id: string;
  readonly tag: string;
  readonly concurrencyLimit: number;
  readonly activeSlots: readonly string[];
}

/** The parts of a deployment that orchestration reads. */
export interface Deployment {
  readonly id: string;
  readonly name: string;
  readonly concurrencyLimitId: string | null;
  /** The V2 limit `concurrencyLimitId` points at, when it exists. */
  readonly concurrencyLimit: GlobalConcurrencyLimit | null;
  readonly concurrencyOptions: ConcurrencyOptions | null;
}

/** Who holds a lease's slots. */
export interface LeaseHolder {
  readonly type: "flow_run" | "task_run" | "deployment";
  readonly id: string;
}

/** What a lease records besides its limits. */
export interface LeaseMetadata {
  readonly slots: number;
  readonly holder: LeaseHolder | null;
}

/** A concurrency lease: `metadata.slots` slots on each of `resourceIds`, until `expiration`. */
export interface ConcurrencyLease {
  readonly id: string;
  readonly resourceIds: readonly string[];
  readonly expiration: Date;
  readonly createdAt: Date;
  readonly metadata: LeaseMetadata;
}
