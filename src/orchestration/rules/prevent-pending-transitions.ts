/**
 * PreventPendingTransitions (spec §4.1; generic, also used by BackgroundTaskPolicy): PENDING
 * is how a worker claims a run, so a run that is already claimed, running, cancelling or
 * cancelled cannot be claimed again (two workers racing for one run: one ABORTs). The one
 * exception is a worker reporting sub-steps of its own claim (Pending → Submitting →
 * InfrastructurePending), which must keep the claim's scheduled time and deployment lease.
 */
import { type Run, type State, StateType } from "../../domain/index.ts";
import type { CoreDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { stateTypes } from "../step.ts";

/** Aborts PENDING proposals for runs past PENDING, except renamed PENDING sub-steps. */
export class PreventPendingTransitions extends OrchestrationRule<Run, CoreDeps> {
  static override readonly ruleName = "PreventPendingTransitions";
  static override readonly FROM_STATES = stateTypes(
    StateType.PENDING,
    StateType.CANCELLING,
    StateType.RUNNING,
    StateType.CANCELLED,
  );
  static override readonly TO_STATES = stateTypes(StateType.PENDING);

  protected override async beforeTransition(
    initial: State | null,
    proposed: State | null,
  ): Promise<void> {
    if (initial === null || proposed === null) return;
    if (
      initial.type === StateType.PENDING &&
      proposed.type === StateType.PENDING &&
      initial.name !== proposed.name &&
      proposed.name !== "Pending"
    ) {
      proposed.stateDetails.scheduledTime = initial.stateDetails.scheduledTime ?? null;
      proposed.stateDetails.deploymentConcurrencyLeaseId =
        initial.stateDetails.deploymentConcurrencyLeaseId ?? null;
      return;
    }
    this.abortTransition(
      `This run is in a ${initial.type} state and cannot transition to a PENDING state.`,
    );
  }
}
