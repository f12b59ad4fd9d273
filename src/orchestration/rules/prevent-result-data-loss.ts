/**
 * PreventResultDataLoss (spec §4.1, MinimalFlowPolicy; fix of §8.3.1): even a forced
 * transition must not replace a COMPLETED state that carries a persisted result with a
 * completion that carries none, or the result is lost. Scalar and list data never count
 * as persisted and never raise.
 */
import {
  type FlowRun,
  isPersistedResult,
  type State,
  StateType,
  TERMINAL_STATE_TYPES,
} from "../../domain/index.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { stateTypes } from "../step.ts";

/** Rejects COMPLETED(persisted result) → COMPLETED(no persisted result). */
export class PreventResultDataLoss extends OrchestrationRule<FlowRun, FlowOrchestrationDeps> {
  static override readonly ruleName = "PreventResultDataLoss";
  static override readonly FROM_STATES = stateTypes(...TERMINAL_STATE_TYPES);
  static override readonly TO_STATES = stateTypes(...TERMINAL_STATE_TYPES);

  protected override async beforeTransition(
    initial: State | null,
    proposed: State | null,
  ): Promise<void> {
    if (initial === null || proposed === null) return;
    if (
      initial.type === StateType.COMPLETED &&
      proposed.type === StateType.COMPLETED &&
      isPersistedResult(initial.data) &&
      !isPersistedResult(proposed.data)
    ) {
      this.rejectTransition(
        null,
        "Cannot overwrite a COMPLETED state that carries persisted result data with one that does not.",
      );
    }
  }
}
