/**
 * A task run's tag slots, as SecureTaskConcurrencySlots and ReleaseTaskConcurrencySlots use
 * them (spec §1.7, §4.2).
 *
 * A tag's limit is either a V2 limit named `tag:<tag>` (slots counted on the limit, each
 * taken together with a lease held by `{type: "task_run", id}`) or a V1 tag limit (slots are
 * holder rows). Both expire after the `tagSlotLeaseSeconds` setting unless the run's state
 * changes or the holder renews, so a crashed task run does not hold a slot forever.
 *
 * Releasing gives back only what the run itself holds — leases it is the holder of, and
 * its own holder rows — and works on inactive V2 limits (the port's decrement ignores
 * `active`): Fix §8.1.8, §8.1.10.
 */
import {
  type ConcurrencyLease,
  ConcurrencySlotReleaseError,
  type GlobalConcurrencyLimit,
  type LeaseHolder,
  type TaskRun,
} from "../domain/index.ts";
import type { TaskOrchestrationDeps } from "./ports.ts";

/** The ports tag-slot handling needs. */
export type TagSlotPorts = Pick<
  TaskOrchestrationDeps,
  "globalLimits" | "leases" | "tagLimits" | "settings"
>;

const TAG_PREFIX = "tag:";

/** The holder recorded on a task run's V2 tag leases. */
export function taskRunHolder(taskRunId: string): LeaseHolder {
  return { type: "task_run", id: taskRunId };
}

/** The V2 limit name of a tag. */
export function tagLimitName(tag: string): string {
  return `${TAG_PREFIX}${tag}`;
}

/** The tag of a V2 tag limit (its name without the `tag:` prefix). */
export function tagOfLimit(limit: GlobalConcurrencyLimit): string {
  return limit.name.startsWith(TAG_PREFIX) ? limit.name.slice(TAG_PREFIX.length) : limit.name;
}

/** The run's distinct tags, sorted (the order limits are locked and checked in). */
export function distinctTags(run: TaskRun): string[] {
  return [...new Set(run.tags)].sort();
}

/** The V2 tag limits of the run's tags, active or not, ordered by name (no lock). */
export async function readTagLimitsV2(
  ports: TagSlotPorts,
  tags: readonly string[],
): Promise<GlobalConcurrencyLimit[]> {
  if (tags.length === 0) return [];
  const limits = await ports.globalLimits.readByNames(tags.map(tagLimitName));
  return limits.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The leases the task run holds on any of `limits` (expired-but-not-reaped ones included),
 * row-locked, each once even when it spans several limits.
 */
export async function readHeldTagLeases(
  ports: TagSlotPorts,
  limits: readonly GlobalConcurrencyLimit[],
  taskRunId: string,
): Promise<ConcurrencyLease[]> {
  const byId = new Map<string, ConcurrencyLease>();
  for (const limit of limits) {
    for (const lease of await ports.leases.readLeasesHeldBy(limit.id, taskRunHolder(taskRunId))) {
      byId.set(lease.id, lease);
    }
  }
  return [...byId.values()];
}

/**
 * Give back a lease's slots on each of its limits, then delete it. Rejects with
 * {@link ConcurrencySlotReleaseError} when a limit of the lease is gone (Fix §8.1.7: the
 * transition fails rather than leave the accounting wrong).
 */
export async function releaseTagLease(ports: TagSlotPorts, lease: ConcurrencyLease): Promise<void> {
  if (!(await ports.globalLimits.decrementActiveSlots(lease.resourceIds, lease.metadata.slots))) {
    throw new ConcurrencySlotReleaseError(
      `Failed to release concurrency slots for lease ${lease.id}`,
    );
  }
  await ports.leases.revokeLease(lease.id);
}

/** Give back every tag slot the run holds: its V2 tag leases and all its V1 holder rows. */
export async function releaseTagSlots(ports: TagSlotPorts, run: TaskRun): Promise<void> {
  const limits = await readTagLimitsV2(ports, distinctTags(run));
  for (const lease of await readHeldTagLeases(ports, limits, run.id)) {
    await releaseTagLease(ports, lease);
  }
  await ports.tagLimits.removeHolders(run.id);
}

/** Move the expiry of every tag slot the run holds to now + `tagSlotLeaseSeconds`. */
export async function renewTagSlots(ports: TagSlotPorts, run: TaskRun): Promise<void> {
  const ttl = ports.settings.tagSlotLeaseSeconds;
  const limits = await readTagLimitsV2(ports, distinctTags(run));
  for (const lease of await readHeldTagLeases(ports, limits, run.id)) {
    await ports.leases.renewLease(lease.id, ttl);
  }
  await ports.tagLimits.renewHolders(run.id, ttl);
}
