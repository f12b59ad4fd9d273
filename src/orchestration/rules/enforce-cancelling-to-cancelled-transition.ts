/**
 * EnforceCancellingToCancelledTransition (spec §4.1): once cancellation started, the only
 * way out is CANCELLED, so infrastructure teardown is not interrupted by a late RUNNING or
 * COMPLETED report. CANCELLED itself is not guarded: cancelled runs may be retried
 * (§8.3.5).
 */
import { type FlowRun, StateType } from "../../domain/index.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { allStatesExcept, stateTypes } from "../step.ts";

/** Rejects every transition out of CANCELLING except into CANCELLED. */
export class EnforceCancellingToCancelledTransition extends OrchestrationRule<
  FlowRun,
  FlowOrchestrationDeps
> {
  static override readonly ruleName = "EnforceCancellingToCancelledTransition";
  static override readonly FROM_STATES = stateTypes(StateType.CANCELLING);
  static override readonly TO_STATES = allStatesExcept(StateType.CANCELLED);

  protected override async beforeTransition(): Promise<void> {
    this.rejectTransition(
      null,
      "Cannot transition flows that are cancelling to a state other than Cancelled.",
    );
  }
}
