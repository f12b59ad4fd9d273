/**
 * HandleResumingPausedFlows (spec §4.1): a paused run may only resume into RUNNING or
 * SCHEDULED, or finish. A suspended run needs its deployment to be rescheduled, and a pause
 * whose timeout passed fails the run instead of resuming it.
 *
 * After the transition the run is marked `resuming`, so its next RUNNING is not counted as
 * a new run (IncrementFlowRunCount). As in Prefect this also happens when the resume was
 * refused (TO includes null and FAILED, so the rule stays valid after its own rejections;
 * spec §8.3.6 — kept, not in the preface's Fix list).
 */
import { type FlowRun, type State, StateType } from "../../domain/index.ts";
import type { FlowContext } from "../flow-context.ts";
import { newState } from "../new-state.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { ALL_ORCHESTRATION_STATES, stateTypes } from "../step.ts";

const RESUMABLE_INTO = stateTypes(
  StateType.RUNNING,
  StateType.SCHEDULED,
  StateType.COMPLETED,
  StateType.FAILED,
  StateType.CANCELLED,
  StateType.CRASHED,
);

/** Guards transitions out of PAUSED and marks the run as resuming. */
export class HandleResumingPausedFlows extends OrchestrationRule<FlowRun, FlowOrchestrationDeps> {
  static override readonly ruleName = "HandleResumingPausedFlows";
  static override readonly FROM_STATES = stateTypes(StateType.PAUSED);
  static override readonly TO_STATES = ALL_ORCHESTRATION_STATES;

  protected override async beforeTransition(
    initial: State | null,
    proposed: State | null,
    context: FlowContext,
  ): Promise<void> {
    if (initial === null || proposed === null) return;
    if (!RESUMABLE_INTO.has(proposed.type)) {
      // Prefect formats the enums with str(): "StateType.PENDING".
      this.rejectTransition(
        null,
        `This run cannot transition to the StateType.${proposed.type} state from the StateType.${initial.type} state.`,
      );
      return;
    }
    const display = (proposed.name || proposed.type).toLowerCase();
    const verb = proposed.name === "Suspended" ? "suspend" : "pause";
    const { run, deps } = context;
    if (initial.stateDetails.pauseReschedule && run.deploymentId === null) {
      this.rejectTransition(null, `Cannot reschedule a ${display} flow run without a deployment.`);
      return;
    }
    const timeout = initial.stateDetails.pauseTimeout;
    if (timeout && timeout.getTime() < deps.clock.now().getTime()) {
      this.rejectTransition(
        newState(deps, {
          type: StateType.FAILED,
          message: `The flow was ${display} and never resumed.`,
        }),
        `The flow run ${verb} has timed out and can no longer resume.`,
      );
    }
  }

  protected override async afterTransition(
    _initial: State | null,
    _validated: State | null,
    context: FlowContext,
  ): Promise<void> {
    context.run.empiricalPolicy.resuming = true;
  }
}
