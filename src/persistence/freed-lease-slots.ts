/**
 * Giving back the slots of lease rows that this transaction has just deleted
 * (`DELETE … RETURNING`): by the lease reaper for expired leases, and with a deleted run for
 * the leases it held.
 *
 * The LeaseStore contract says a lease is released exactly once, by whoever deletes its row;
 * so the slots are given back only for rows the caller actually deleted. The limits of all
 * the rows are locked up front in id order (the lock order of transitions: lease rows, then
 * limit rows). A limit that no longer exists (its deployment was deleted) has nothing to give
 * back and is skipped.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { PgGlobalConcurrencyLimits } from "./orchestration/global-limits.ts";

/** A deleted lease: its slots on each of its limits. */
export interface DeletedLease {
  readonly id: string;
  readonly resourceIds: readonly string[];
  readonly slots: number;
  /** How long the slots were held; only the reaper passes it (spec §1.7). */
  readonly occupancySeconds?: number;
}

/**
 * Decrement each lease's limits by its slots, as of `now`. Resolves the ids among the
 * leases' limits that matched no limit row.
 */
export async function giveBackDeletedLeaseSlots(
  em: EntityManager,
  leases: readonly DeletedLease[],
  now: Date,
): Promise<ReadonlySet<string>> {
  if (leases.length === 0) return new Set();
  const limitIds = [...new Set(leases.flatMap((lease) => lease.resourceIds))].sort();
  const locked = await em.execute<{ id: string }[]>(
    `select id from concurrency_limit_v2 where id in (?) order by id for update`,
    [limitIds],
  );
  const existing = new Set(locked.map((row) => row.id));
  const limits = new PgGlobalConcurrencyLimits(em, { now: () => now });
  for (const lease of leases) {
    const present = lease.resourceIds.filter((id) => existing.has(id));
    // The limits are locked by this transaction, so every present id matches a row.
    if (!(await limits.decrementActiveSlots(present, lease.slots, lease.occupancySeconds))) {
      throw new Error(`lease ${lease.id}: a locked concurrency limit vanished`);
    }
  }
  return new Set(limitIds.filter((id) => !existing.has(id)));
}
