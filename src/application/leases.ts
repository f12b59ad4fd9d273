/**
 * Lease renewal. A running flow keeps its deployment slot by renewing its lease (the lease
 * id from its PENDING state's details); a running task keeps its tag slots by renewing with
 * its task-run id, which moves the expiry of every tag slot it holds.
 */
import { NotFoundError } from "../domain/index.ts";
import type { Clock } from "../orchestration/index.ts";
import type { FlowRunStore } from "./flow-run-store.ts";
import type { TaskRunStore } from "./task-run-store.ts";

export class LeaseUseCases {
  readonly #flowRuns: FlowRunStore;
  readonly #taskRuns: TaskRunStore;
  readonly #clock: Clock;

  constructor(flowRuns: FlowRunStore, taskRuns: TaskRunStore, clock: Clock) {
    this.#flowRuns = flowRuns;
    this.#taskRuns = taskRuns;
    this.#clock = clock;
  }

  /** Resolves to the new expiration; NOT_FOUND once the lease (or every tag slot) was released or reaped. */
  async renew(leaseId: string, durationSeconds: number): Promise<Date> {
    const deploymentLease = await this.#flowRuns.transaction(async ({ deps }) =>
      (await deps.leases.renewLease(leaseId, durationSeconds))
        ? deps.leases.readLease(leaseId)
        : null,
    );
    if (deploymentLease !== null) return deploymentLease.expiration;
    const renewedSlots = await this.#taskRuns.transaction(({ deps }) =>
      deps.tagLimits.renewHolders(leaseId, durationSeconds),
    );
    if (renewedSlots === 0) throw new NotFoundError("lease", leaseId);
    return new Date(this.#clock.now().getTime() + durationSeconds * 1000);
  }
}
