/**
 * CopyScheduledTime (spec §4.1; generic): a claimed run (SCHEDULED → PENDING) keeps the
 * time it was scheduled for, which WaitForScheduledTime later enforces, unless the claim
 * names its own.
 */
import { type Run, type State, StateType } from "../../domain/index.ts";
import type { CoreDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { stateTypes } from "../step.ts";

/** Copies the scheduled time from SCHEDULED into a PENDING proposal that has none. */
export class CopyScheduledTime extends OrchestrationRule<Run, CoreDeps> {
  static override readonly ruleName = "CopyScheduledTime";
  static override readonly FROM_STATES = stateTypes(StateType.SCHEDULED);
  static override readonly TO_STATES = stateTypes(StateType.PENDING);

  protected override async beforeTransition(
    initial: State | null,
    proposed: State | null,
  ): Promise<void> {
    if (initial === null || proposed === null) return;
    if (!proposed.stateDetails.scheduledTime) {
      proposed.stateDetails.scheduledTime = initial.stateDetails.scheduledTime ?? null;
    }
  }
}
