/**
 * HandleFlowTerminalStateTransitions (spec §4.1): what may leave a terminal flow state.
 *
 * A finished run cannot be paused, cancelled or crashed; a COMPLETED run whose result is
 * persisted cannot be reopened nor overwritten by a result-less completion; only deployed
 * runs can be rescheduled. Anything else (a manual retry) is allowed and resets the pause
 * and retry bookkeeping, which cleanup restores if the transition does not happen after all.
 * `run_count` is deliberately kept: manual retries preserve it. The API-version gate of
 * step 5 is dropped (preface): we behave as for the newest client.
 */
import {
  type FlowRun,
  type FlowRunPolicy,
  isPersistedResult,
  isTerminalStateType,
  type State,
  StateType,
  TERMINAL_STATE_TYPES,
} from "../../domain/index.ts";
import type { FlowContext } from "../flow-context.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { ALL_ORCHESTRATION_STATES, stateTypes } from "../step.ts";

const CANNOT_LEAVE_TERMINAL = stateTypes(StateType.CANCELLING, StateType.PAUSED, StateType.CRASHED);

/** Guards transitions out of COMPLETED, CANCELLED, FAILED and CRASHED. */
export class HandleFlowTerminalStateTransitions extends OrchestrationRule<
  FlowRun,
  FlowOrchestrationDeps
> {
  static override readonly ruleName = "HandleFlowTerminalStateTransitions";
  static override readonly FROM_STATES = stateTypes(...TERMINAL_STATE_TYPES);
  static override readonly TO_STATES = ALL_ORCHESTRATION_STATES;

  #policySnapshot: FlowRunPolicy | null = null;

  protected override async beforeTransition(
    initial: State | null,
    proposed: State | null,
    context: FlowContext,
  ): Promise<void> {
    if (initial === null || proposed === null) return;
    const policy = context.run.empiricalPolicy;
    this.#policySnapshot = structuredClone(policy);

    if (CANNOT_LEAVE_TERMINAL.has(proposed.type)) {
      this.abortTransition(`Run is already in terminal state ${initial.type}.`);
      return;
    }
    const completedWithResult =
      initial.type === StateType.COMPLETED && isPersistedResult(initial.data);
    if (completedWithResult && !isTerminalStateType(proposed.type)) {
      this.rejectTransition(null, "Run is already COMPLETED.");
      return;
    }
    if (
      completedWithResult &&
      proposed.type === StateType.COMPLETED &&
      !isPersistedResult(proposed.data)
    ) {
      this.rejectTransition(
        null,
        "Cannot overwrite a COMPLETED state that carries persisted result data with one that does not.",
      );
      return;
    }
    if (proposed.type === StateType.SCHEDULED && context.run.deploymentId === null) {
      this.abortTransition("Cannot reschedule a run without an associated deployment.");
      return;
    }
    if (!isTerminalStateType(proposed.type)) {
      policy.resuming = false;
      policy.pauseKeys = [];
      policy.retryType = proposed.type === StateType.SCHEDULED ? "reschedule" : null;
    }
  }

  protected override async cleanup(
    _initial: State | null,
    _validated: State | null,
    context: FlowContext,
  ): Promise<void> {
    if (this.#policySnapshot !== null) {
      Object.assign(context.run.empiricalPolicy, this.#policySnapshot);
    }
  }
}
