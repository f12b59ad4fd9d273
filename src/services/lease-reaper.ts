/**
 * The expired-lease reaper (spec §1.7, Prefect's repossessor): a holder that stopped
 * renewing its lease gives its concurrency slots back when the lease expires. Each batch is
 * one transaction that deletes expired leases and decrements their limits together.
 *
 * It also frees the tag slots of crashed task runs (issue 5; Prefect leases them for 100
 * years, so a worker dying while RUNNING held its slot forever). A task run's holder row
 * expires `tagSlotLeaseSeconds` after its last state change or renewal
 * (RenewConcurrencyLease with the task-run id); an expired row is deleted here, which is
 * all it takes to free the slot, since a tag limit's active slots are its holder rows.
 */
import type { ExclusiveLocks, ExpiredLeaseReaper } from "../application/background.ts";
import type { Logger } from "../logger.ts";
import type { Clock } from "../orchestration/index.ts";
import { type BackgroundService, ExclusiveTicks, type TickResult } from "./service.ts";

/** Advisory lock key of this service. */
export const LEASE_REAPER_LOCK_KEY = 4;
const BATCH_SIZE = 200;

export interface ReapExpiredLeasesOptions {
  readonly reaper: ExpiredLeaseReaper;
  readonly locks: ExclusiveLocks;
  readonly clock: Clock;
  readonly log: Logger;
  readonly loopSeconds: number;
}

/** Deletes expired concurrency leases and tag-slot holders, and frees their slots. */
export class ReapExpiredLeases implements BackgroundService {
  readonly name = "lease-reaper";
  readonly intervalSeconds: number;
  readonly #options: ReapExpiredLeasesOptions;
  readonly #ticks: ExclusiveTicks;

  constructor(options: ReapExpiredLeasesOptions) {
    this.#options = options;
    this.intervalSeconds = options.loopSeconds;
    this.#ticks = new ExclusiveTicks(options.locks, LEASE_REAPER_LOCK_KEY);
  }

  runOnce(signal?: AbortSignal): Promise<TickResult> {
    return this.#ticks.run(() => this.#reap(signal));
  }

  /** Resolves how many leases and tag slots it freed. */
  async #reap(signal: AbortSignal | undefined): Promise<number> {
    const { reaper, clock } = this.#options;
    const log = this.#options.log.child({ service: this.name });
    const now = clock.now();
    let reaped = 0;
    while (!signal?.aborted) {
      const batch = await reaper.reapExpiredLeases(now, BATCH_SIZE);
      for (const lease of batch) {
        log.info(
          { leaseId: lease.leaseId, slots: lease.slots, resourceIds: lease.resourceIds },
          "lease expired; slots released",
        );
        if (lease.missingLimitIds.length > 0) {
          log.warn(
            { leaseId: lease.leaseId, missingLimitIds: lease.missingLimitIds },
            "expired lease named unknown limits",
          );
        }
      }
      reaped += batch.length;
      if (batch.length < BATCH_SIZE) break;
    }
    while (!signal?.aborted) {
      const batch = await reaper.reapExpiredTagSlots(now, BATCH_SIZE);
      if (batch.length > 0) {
        log.info(
          {
            freed: batch.length,
            slots: batch.map(({ tag, limitId, taskRunId }) => ({ tag, limitId, taskRunId })),
          },
          "tag slots expired; freed",
        );
      }
      reaped += batch.length;
      if (batch.length < BATCH_SIZE) break;
    }
    return reaped;
  }
}
