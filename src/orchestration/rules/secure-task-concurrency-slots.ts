/**
 * SecureTaskConcurrencySlots (spec §4.2): a task enters RUNNING only with a slot on the
 * concurrency limit of each of its tags. A V2 limit named `tag:<tag>` (when active) takes
 * precedence over a V1 tag limit of the same tag. A limit of 0 ABORTs (the task would
 * deadlock); a full limit WAITs: V2 for a jittered interval around the limit's average slot
 * occupancy (capped by the tag wait setting), V1 for the tag wait setting.
 *
 * Unlike Prefect, which keeps going after a WAIT or ABORT and never cleans up after its own
 * (the rule is invalid on exit), this rule stops at the first limit that makes it WAIT or
 * ABORT and gives back every slot it took in the same call (Fix §8.1.1–8.1.4); a run that
 * already holds a slot on a limit neither waits on itself nor takes a second one (Fix
 * §8.1.5, §8.2.7). Every write goes through ports in the transition's transaction (Fix
 * §8.1.6, §8.1.9), and a later rule that nullifies the transition makes it give the slots
 * back in cleanup. Slots expire after `tagSlotLeaseSeconds` unless refreshed.
 */
import {
  type ConcurrencyLease,
  type GlobalConcurrencyLimit,
  type State,
  StateType,
  type TaskRun,
} from "../../domain/index.ts";
import { clampedPoissonInterval, DEFAULT_CLAMPING_FACTOR, roundHalfEven } from "../jitter.ts";
import type { TaskOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { ALL_ORCHESTRATION_STATES, stateTypes } from "../step.ts";
import {
  distinctTags,
  readHeldTagLeases,
  readTagLimitsV2,
  releaseTagLease,
  tagOfLimit,
  taskRunHolder,
} from "../tag-slots.ts";
import type { TaskContext } from "../task-context.ts";

function deadlockReason(tag: string): string {
  return `The concurrency limit on tag "${tag}" is 0 and will deadlock if the task tries to run again.`;
}

/** Takes a slot on every tag limit of a task entering RUNNING, or none. */
export class SecureTaskConcurrencySlots extends OrchestrationRule<TaskRun, TaskOrchestrationDeps> {
  static override readonly ruleName = "SecureTaskConcurrencySlots";
  static override readonly FROM_STATES = ALL_ORCHESTRATION_STATES;
  static override readonly TO_STATES = stateTypes(StateType.RUNNING);

  /** The V2 lease taken in this call (not one the run held before). */
  #takenLease: ConcurrencyLease | null = null;
  /** The V1 tags whose holder row this call inserted. */
  #takenTags: string[] = [];

  protected override async beforeTransition(
    _initial: State | null,
    proposed: State | null,
    context: TaskContext,
  ): Promise<void> {
    const { run, deps } = context;
    const tags = distinctTags(run);
    if (proposed === null || tags.length === 0) return;

    // Lock order: lease rows, tag-limit rows, V2 limit rows (ports.ts).
    const v2 = (await readTagLimitsV2(deps, tags)).filter((limit) => limit.active);
    const held = new Set(
      (await readHeldTagLeases(deps, v2, run.id)).flatMap((lease) => lease.resourceIds),
    );
    const v1 = await deps.tagLimits.lockByTags(tags);

    const zero = v2.find((limit) => limit.limit === 0);
    if (zero !== undefined) {
      this.abortTransition(deadlockReason(tagOfLimit(zero)));
      return;
    }
    const toTake = v2.filter((limit) => !held.has(limit.id));
    if (toTake.length > 0) {
      const ids = toTake.map((limit) => limit.id);
      if (!(await deps.globalLimits.incrementActiveSlots(ids, 1))) {
        this.delayTransition(
          this.#v2WaitSeconds(toTake, deps),
          `Concurrency limit reached for tags: ${toTake.map(tagOfLimit).join(", ")}`,
        );
        return;
      }
      this.#takenLease = await deps.leases.createLease(ids, deps.settings.tagSlotLeaseSeconds, {
        slots: 1,
        holder: taskRunHolder(run.id),
      });
    }

    const v2Tags = new Set(v2.map(tagOfLimit));
    const remaining = v1.filter((limit) => !v2Tags.has(limit.tag));
    for (const limit of remaining) {
      if (limit.concurrencyLimit === 0) {
        await this.#giveBack(context);
        this.abortTransition(deadlockReason(limit.tag));
        return;
      }
      const holds = limit.activeSlots.includes(run.id);
      if (!holds && limit.activeSlots.length >= limit.concurrencyLimit) {
        await this.#giveBack(context);
        this.delayTransition(
          Math.trunc(deps.settings.tagConcurrencySlotWaitSeconds),
          `Concurrency limit for the ${limit.tag} tag has been reached`,
        );
        return;
      }
    }
    for (const limit of remaining) {
      // A slot the run already holds is kept (ReleaseTaskConcurrencySlots refreshes it).
      if (limit.activeSlots.includes(run.id)) continue;
      await deps.tagLimits.addHolder(limit.tag, run.id, deps.settings.tagSlotLeaseSeconds);
      this.#takenTags.push(limit.tag);
    }
  }

  protected override async cleanup(
    _initial: State | null,
    _validated: State | null,
    context: TaskContext,
  ): Promise<void> {
    await this.#giveBack(context);
  }

  /**
   * The V2 WAIT delay: a jittered interval around the average slot occupancy of the fullest
   * limit, capped by the tag wait setting, rounded half to even. 0 when that cap is 0
   * (Fix §8.3.2: no division by zero).
   */
  #v2WaitSeconds(limits: readonly GlobalConcurrencyLimit[], deps: TaskOrchestrationDeps): number {
    const maxWait = deps.settings.tagConcurrencySlotWaitSeconds;
    let blocking = limits[0];
    for (const limit of limits) {
      if (
        blocking === undefined ||
        limit.activeSlots / limit.limit > blocking.activeSlots / blocking.limit
      ) {
        blocking = limit;
      }
    }
    const average = Math.min(blocking?.avgSlotOccupancySeconds || maxWait, maxWait);
    if (average <= 0) return 0;
    return roundHalfEven(clampedPoissonInterval(average, DEFAULT_CLAMPING_FACTOR, deps.random));
  }

  /** Give back what this call took (nothing the run held before). */
  async #giveBack(context: TaskContext): Promise<void> {
    const { run, deps } = context;
    const lease = this.#takenLease;
    this.#takenLease = null;
    if (lease !== null) await releaseTagLease(deps, lease);
    const tags = this.#takenTags;
    this.#takenTags = [];
    for (const tag of tags) await deps.tagLimits.removeHolder(tag, run.id);
  }
}
