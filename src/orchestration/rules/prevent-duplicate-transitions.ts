/**
 * PreventDuplicateTransitions (spec §4.1, §8.2.2): a client whose response was lost retries
 * the same request; when both the current state and the proposal carry the same
 * `transition_id`, the transition already happened, so nothing is written and the client
 * gets the existing state back. Generic: flowgate's wire contract (api.md, "Idempotency and
 * retries") asks the same of SetTaskRunState, so the task policies list it too.
 */
import type { Run, State } from "../../domain/index.ts";
import type { CoreDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { ALL_ORCHESTRATION_STATES } from "../step.ts";

/** Rejects a proposal whose transition id equals the current state's. */
export class PreventDuplicateTransitions extends OrchestrationRule<Run, CoreDeps> {
  static override readonly ruleName = "PreventDuplicateTransitions";
  static override readonly FROM_STATES = ALL_ORCHESTRATION_STATES;
  static override readonly TO_STATES = ALL_ORCHESTRATION_STATES;

  protected override async beforeTransition(
    initial: State | null,
    proposed: State | null,
  ): Promise<void> {
    if (initial === null || proposed === null) return;
    const current = initial.stateDetails.transitionId;
    const requested = proposed.stateDetails.transitionId;
    if (current != null && requested != null && current === requested) {
      this.rejectTransition(null, "This run has already made this state transition.");
    }
  }
}
