/**
 * BypassCancellingFlowRunsWithNoInfra (spec §4.1): CANCELLING asks a worker to tear down
 * infrastructure. A scheduled run without infrastructure (or one resuming from a
 * suspension) and a suspended run have none, so nobody would ever finish the cancellation:
 * they go straight to CANCELLED. Blocking pauses and scheduled runs with a pid still go
 * through CANCELLING.
 */
import { type FlowRun, type State, StateType } from "../../domain/index.ts";
import type { FlowContext } from "../flow-context.ts";
import { newState } from "../new-state.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { stateTypes } from "../step.ts";

/** Turns CANCELLING into CANCELLED for runs that have no infrastructure to stop. */
export class BypassCancellingFlowRunsWithNoInfra extends OrchestrationRule<
  FlowRun,
  FlowOrchestrationDeps
> {
  static override readonly ruleName = "BypassCancellingFlowRunsWithNoInfra";
  static override readonly FROM_STATES = stateTypes(StateType.SCHEDULED, StateType.PAUSED);
  static override readonly TO_STATES = stateTypes(StateType.CANCELLING);

  protected override async beforeTransition(
    initial: State | null,
    proposed: State | null,
    context: FlowContext,
  ): Promise<void> {
    if (initial === null || proposed === null) return;
    const noInfra = initial.type === StateType.SCHEDULED && !context.run.infrastructurePid;
    if (noInfra || initial.name === "Resuming") {
      this.rejectTransition(
        newState(context.deps, { type: StateType.CANCELLED }),
        "Scheduled flow run has no infrastructure to terminate.",
      );
    } else if (initial.type === StateType.PAUSED && initial.stateDetails.pauseReschedule) {
      this.rejectTransition(
        newState(context.deps, { type: StateType.CANCELLED }),
        "Suspended flow run has no infrastructure to terminate.",
      );
    }
  }
}
