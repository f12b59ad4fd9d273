/**
 * ReleaseTaskConcurrencySlots (spec §4.2; universal, in every task policy): a task run
 * that commits any state but RUNNING or CANCELLING gives back its tag slots — V2 `tag:`
 * leases it holds and its V1 holder rows — also when it was rejected out of RUNNING and
 * also when forced. A run that stays RUNNING or CANCELLING keeps its slots, and, flowgate's
 * addition, their expiry moves to now + `tagSlotLeaseSeconds`: a state change counts as a
 * sign of life, so only a silent (crashed) holder loses its slot to the reaper.
 *
 * Only the run's own holdings are touched, inactive V2 limits included (Fix §8.1.8,
 * §8.1.10); a failed release fails the transition (§8.1.7).
 */
import { StateType, type TaskRun } from "../../domain/index.ts";
import type { TaskOrchestrationDeps } from "../ports.ts";
import { stateTypes } from "../step.ts";
import { releaseTagSlots, renewTagSlots } from "../tag-slots.ts";
import type { TaskContext } from "../task-context.ts";
import { UniversalTransform } from "../transform.ts";

const HOLDING_STATES = stateTypes(StateType.RUNNING, StateType.CANCELLING);

/** Frees the tag slots of a task run that stops running, refreshes them otherwise. */
export class ReleaseTaskConcurrencySlots extends UniversalTransform<
  TaskRun,
  TaskOrchestrationDeps
> {
  static override readonly ruleName = "ReleaseTaskConcurrencySlots";

  protected override async afterTransition(context: TaskContext): Promise<void> {
    const validated = context.validatedState;
    if (this.isNullified() || validated === null) return;
    if (HOLDING_STATES.has(validated.type)) {
      await renewTagSlots(context.deps, context.run);
    } else {
      await releaseTagSlots(context.deps, context.run);
    }
  }
}
