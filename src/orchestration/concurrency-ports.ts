/**
 * Concurrency ports: global (V2) limits, tag (V1) limits and the leases that hold slots.
 * Persistence implements them inside the transition's transaction (see ports.ts).
 */
import type {
  ConcurrencyLease,
  GlobalConcurrencyLimit,
  LeaseHolder,
  LeaseMetadata,
  TagConcurrencyLimit,
} from "../domain/index.ts";

/**
 * Global (V2) concurrency limits: decay-aware, all-or-nothing slot accounting (spec §1.7).
 *
 * Every method runs inside the transition's transaction (preface "Replace", Fix §8.1.6 and
 * §8.1.9): there is no separate transaction, so a transition that does not commit holds no
 * slot. Writes lock the limit rows until the transaction ends, which serializes concurrent
 * acquirers of one limit; lock limit rows in id order when several are touched.
 */
export interface GlobalConcurrencyLimits {
  /** The limits with these names (no lock). Unknown names are left out. */
  readByNames(names: readonly string[]): Promise<GlobalConcurrencyLimit[]>;
  /**
   * Take `slots` on every limit in `limitIds`, or on none: for each, the decayed active
   * slots (`max(0, active_slots − floor(slot_decay_per_second × seconds since updated))`)
   * plus `slots` must be ≤ `limit`, and the limit must be `active`. Atomic: one conditional
   * `UPDATE … WHERE id IN (…) AND active AND decayed + n <= limit`; when fewer rows than ids
   * were updated the partial update must be undone (e.g. run the statement in a savepoint
   * and roll it back) before returning `false`. Resolves `true` iff it took the slots.
   */
  incrementActiveSlots(limitIds: readonly string[], slots: number): Promise<boolean>;
  /**
   * Give back `slots` on every limit: `active_slots = max(0, decayed − slots)`. Works on
   * inactive limits too (Fix §8.1.10: a deactivated limit must still let holders leave).
   * With `occupancySeconds` (the lease reaper only) also moves `avg_slot_occupancy_seconds`
   * as spec §1.7 says. Resolves `false` iff some id matched no limit row (then nothing must
   * have changed).
   */
  decrementActiveSlots(
    limitIds: readonly string[],
    slots: number,
    occupancySeconds?: number,
  ): Promise<boolean>;
}

/**
 * Tag (V1) concurrency limits. A limit's slots are its holder rows, one per (limit, task
 * run), so "active slots == live holders" is a database constraint rather than bookkeeping.
 * A holder row has an expiry (`expires_at`): a task run that crashed while holding a slot
 * loses it once the reaper deletes the expired row (Prefect holds it for 100 years, §8.1.11).
 * Every transition that keeps or takes a slot refreshes its expiry (TTL = the
 * `tagSlotLeaseSeconds` setting), and so does lease renewal by the task run's worker.
 *
 * Locking: the task run's row is already locked by the caller. {@link lockByTags} row-locks
 * the limit rows (`FOR UPDATE`, in tag order) so concurrent acquirers of one limit are
 * serialized; after it, the holder counts it returned stay true until the transaction ends
 * (only acquirers insert holders, and they all take the limit lock first). Deleting or
 * refreshing holder rows needs no limit lock: it can only free slots. Lock order everywhere:
 * task-run row, lease rows, tag-limit rows, V2 limit rows.
 */
export interface TagConcurrencyLimits {
  /**
   * The limits whose tag is in `tags` (unknown tags left out), row-locked `FOR UPDATE` in tag
   * order, each with `activeSlots` = the task-run ids of its holder rows, expired-but-not-
   * yet-reaped rows included (their slot is still taken). Read the holders in a statement
   * issued *after* the lock was granted, so holders committed while waiting are seen.
   */
  lockByTags(tags: readonly string[]): Promise<TagConcurrencyLimit[]>;
  /**
   * Make `taskRunId` a holder of the limit of `tag` with `expires_at = clock.now() +
   * ttlSeconds`: insert the row, or, if it exists, only move its expiry (an upsert; never a
   * second row). The caller holds the limit's lock from {@link lockByTags}.
   */
  addHolder(tag: string, taskRunId: string, ttlSeconds: number): Promise<void>;
  /** Delete the holder row of `taskRunId` on the limit of `tag`, if any. Idempotent. */
  removeHolder(tag: string, taskRunId: string): Promise<void>;
  /**
   * Delete every holder row of `taskRunId`, on any limit (also limits of tags the run no
   * longer carries). Resolves how many rows were deleted.
   */
  removeHolders(taskRunId: string): Promise<number>;
  /**
   * Set `expires_at = clock.now() + ttlSeconds` on every holder row of `taskRunId` (also on
   * expired rows the reaper has not deleted yet). Resolves how many rows were updated.
   */
  renewHolders(taskRunId: string, ttlSeconds: number): Promise<number>;
}

/** A lease holder found on a limit. */
export interface LeaseHolding {
  readonly leaseId: string;
  readonly holder: LeaseHolder;
}

/**
 * Concurrency leases: rows in PostgreSQL written inside the transition's transaction, so a
 * rollback undoes slot increments, leases and states together (preface "Replace").
 *
 * Locking contract with the lease reaper: a lease is released exactly once, by whoever
 * deletes its row. Rules lock a lease row before releasing it ({@link LeaseStore.readLease},
 * {@link LeaseStore.readLeasesHeldBy}); the reaper must delete expired rows with
 * `DELETE … WHERE expiration < now() RETURNING …` (or lock them `FOR UPDATE SKIP LOCKED`)
 * and decrement only for the rows it actually deleted. Lock order everywhere: run row,
 * lease rows, limit rows.
 */
export interface LeaseStore {
  /**
   * Insert a lease with `expiration = clock.now() + ttlSeconds` and return it. Slots are
   * not touched: callers increment first.
   */
  createLease(
    resourceIds: readonly string[],
    ttlSeconds: number,
    metadata: LeaseMetadata,
  ): Promise<ConcurrencyLease>;
  /**
   * The lease, row-locked (`FOR UPDATE`) until the transaction ends; also an expired lease
   * the reaper has not deleted yet (its slots are still counted). `null` when unknown.
   */
  readLease(leaseId: string): Promise<ConcurrencyLease | null>;
  /**
   * Set `expiration = clock.now() + ttlSeconds` (one `UPDATE`, which locks the row); also
   * renews an expired lease not yet reaped. `false` when the lease is unknown.
   */
  renewLease(leaseId: string, ttlSeconds: number): Promise<boolean>;
  /** Delete the lease row. Idempotent; never touches slots. */
  revokeLease(leaseId: string): Promise<void>;
  /** Unexpired leases on `limitId` that have a holder (no lock). */
  listHolders(limitId: string): Promise<LeaseHolding[]>;
  /**
   * Every lease (expired or not, as long as it is not deleted) whose `resourceIds` contain
   * `limitId` and whose `metadata.holder` equals `holder` (type and id), row-locked
   * (`FOR UPDATE`), ordered by id. Used to release what a run holds when its state lost
   * the lease id.
   */
  readLeasesHeldBy(limitId: string, holder: LeaseHolder): Promise<ConcurrencyLease[]>;
}
