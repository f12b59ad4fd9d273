/**
 * The expired-lease reaper (spec §1.7, Prefect's repossessor): a holder that stopped
 * renewing its lease gives its concurrency slots back when the lease expires. Each batch is
 * one transaction that deletes expired leases and decrements their limits together.
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

/** Deletes expired concurrency leases and frees their slots. */
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
    return reaped;
  }
}
