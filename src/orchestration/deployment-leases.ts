/**
 * Deployment concurrency slots and their leases, as the flow rules use them (spec §1.7,
 * SecureFlowConcurrencySlots, ValidateDeploymentConcurrencyAtRunning,
 * ReleaseFlowConcurrencySlots).
 *
 * A slot on a deployment's V2 limit is always taken together with a lease that names the
 * flow run as its holder, in the transition's transaction. Releasing gives back only what a
 * lease the run itself holds records, and only while that lease still exists: once the
 * reaper deleted an expired lease it has already given the slot back. That is the fix of
 * spec §8.1.8 (Prefect's "lease not found → decrement the deployment limit anyway" fallback
 * freed slots other runs held) and keeps `active slots == live holders` for every limit.
 */
import {
  type ConcurrencyLease,
  ConcurrencySlotReleaseError,
  type Deployment,
  type LeaseHolder,
} from "../domain/index.ts";
import type { GlobalConcurrencyLimits, LeaseStore } from "./ports.ts";
import type { OrchestrationSettings } from "./settings.ts";

/** The ports lease handling needs. */
export interface LeasePorts {
  readonly globalLimits: GlobalConcurrencyLimits;
  readonly leases: LeaseStore;
}

/** The holder recorded on a flow run's deployment lease. */
export function flowRunHolder(flowRunId: string): LeaseHolder {
  return { type: "flow_run", id: flowRunId };
}

/** A lease's TTL: the deployment's grace period, else the initial lease duration setting. */
export function deploymentLeaseTtl(
  deployment: Deployment,
  settings: OrchestrationSettings,
): number {
  return (
    deployment.concurrencyOptions?.gracePeriodSeconds ??
    settings.initialDeploymentLeaseDurationSeconds
  );
}

/**
 * Take one slot on `limitId` and record it in a lease held by the flow run. Resolves the
 * lease id, or `null` when the limit is full or inactive (nothing taken).
 */
export async function acquireDeploymentSlot(
  ports: LeasePorts,
  limitId: string,
  flowRunId: string,
  ttlSeconds: number,
): Promise<string | null> {
  if (!(await ports.globalLimits.incrementActiveSlots([limitId], 1))) return null;
  const lease = await ports.leases.createLease([limitId], ttlSeconds, {
    slots: 1,
    holder: flowRunHolder(flowRunId),
  });
  return lease.id;
}

/**
 * The lease the flow run already holds on `limitId` (also an expired one not yet reaped: its
 * slot is still counted), renewed for `ttlSeconds`. Resolves its id, or `null` when the run
 * holds none.
 */
export async function keepHeldDeploymentSlot(
  ports: LeasePorts,
  limitId: string,
  flowRunId: string,
  ttlSeconds: number,
): Promise<string | null> {
  const [held] = await ports.leases.readLeasesHeldBy(limitId, flowRunHolder(flowRunId));
  if (held === undefined) return null;
  await ports.leases.renewLease(held.id, ttlSeconds);
  return held.id;
}

/**
 * Release the lease `leaseId` if it still exists and the flow run holds it: give back its
 * slots on each of its limits, then delete it. Resolves whether it released anything.
 * Rejects with {@link ConcurrencySlotReleaseError} when a limit of the lease is gone.
 */
export async function releaseHeldLease(
  ports: LeasePorts,
  leaseId: string,
  flowRunId: string,
): Promise<boolean> {
  const lease = await ports.leases.readLease(leaseId);
  if (lease === null || !heldBy(lease, flowRunId)) return false;
  await releaseLease(ports, lease);
  return true;
}

/**
 * Release every lease the flow run holds on `limitId` (for runs whose current state lost
 * its lease id, e.g. after a forced transition). Resolves how many it released.
 */
export async function releaseLeasesHeldOn(
  ports: LeasePorts,
  limitId: string,
  flowRunId: string,
): Promise<number> {
  const leases = await ports.leases.readLeasesHeldBy(limitId, flowRunHolder(flowRunId));
  for (const lease of leases) await releaseLease(ports, lease);
  return leases.length;
}

async function releaseLease(ports: LeasePorts, lease: ConcurrencyLease): Promise<void> {
  const slots = lease.metadata.slots;
  if (!(await ports.globalLimits.decrementActiveSlots(lease.resourceIds, slots))) {
    throw new ConcurrencySlotReleaseError(
      `Failed to release concurrency slots for lease ${lease.id}`,
    );
  }
  await ports.leases.revokeLease(lease.id);
}

function heldBy(lease: ConcurrencyLease, flowRunId: string): boolean {
  const holder = lease.metadata.holder;
  return holder !== null && holder.type === "flow_run" && holder.id === flowRunId;
}
