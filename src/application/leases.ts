/** Lease renewal: a running flow keeps its deployment slot by renewing its lease. */
import { InvalidArgumentError, NotFoundError } from "../domain/index.ts";
import type { FlowRunStore } from "./flow-run-store.ts";

/** Longest renewal accepted, one day: a holder that needs more must renew again. */
export const MAX_LEASE_SECONDS = 86_400;

export class LeaseUseCases {
  readonly #store: FlowRunStore;

  constructor(store: FlowRunStore) {
    this.#store = store;
  }

  /** Resolves to the new expiration; NOT_FOUND once the lease was released or reaped. */
  renew(leaseId: string, durationSeconds: number): Promise<Date> {
    if (!(durationSeconds > 0 && durationSeconds <= MAX_LEASE_SECONDS)) {
      throw new InvalidArgumentError(
        "lease_duration",
        `must be between 0 and ${MAX_LEASE_SECONDS} seconds`,
      );
    }
    return this.#store.transaction(async ({ deps }) => {
      if (!(await deps.leases.renewLease(leaseId, durationSeconds)))
        throw new NotFoundError("lease", leaseId);
      const lease = await deps.leases.readLease(leaseId);
      if (lease === null) throw new NotFoundError("lease", leaseId);
      return lease.expiration;
    });
  }
}
