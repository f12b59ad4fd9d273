/**
 * WaitForScheduledTime (spec §4.1; generic): a run may not start before its scheduled time;
 * the client is told to come back when it is due. Whole seconds, rounded like Prefect:
 * `floor(d) + (frac(d) > 0.5 ? 1 : 0)` (banker's rounding of the fraction), so a run due
 * within half a second starts now.
 */
import { type Run, type State, StateType } from "../../domain/index.ts";
import type { OrchestrationContext } from "../context.ts";
import type { CoreDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { stateTypes } from "../step.ts";

/** Seconds until `scheduled`, rounded as Prefect rounds its WAIT delay. */
export function secondsUntil(scheduled: Date, now: Date): number {
  const ms = scheduled.getTime() - now.getTime();
  const whole = Math.floor(ms / 1000);
  const fractionMs = ms - whole * 1000;
  return whole + (fractionMs > 500 ? 1 : 0);
}

/** Delays RUNNING proposals until the current state's scheduled time. */
export class WaitForScheduledTime extends OrchestrationRule<Run, CoreDeps> {
  static override readonly ruleName = "WaitForScheduledTime";
  static override readonly FROM_STATES = stateTypes(StateType.SCHEDULED, StateType.PENDING);
  static override readonly TO_STATES = stateTypes(StateType.RUNNING);

  protected override async beforeTransition(
    initial: State | null,
    _proposed: State | null,
    context: OrchestrationContext<Run, CoreDeps>,
  ): Promise<void> {
    const scheduled = initial?.stateDetails.scheduledTime;
    if (!scheduled) return;
    const delay = secondsUntil(scheduled, context.deps.clock.now());
    if (delay > 0) this.delayTransition(delay, "Scheduled time is in the future");
  }
}
