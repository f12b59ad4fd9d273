/**
 * RemoveResumingIndicator (spec §4.3): `resuming` only has to survive until the resumed run
 * is RUNNING again (so that RUNNING is not counted) or finishes; then it is cleared so the
 * next execution counts. Runs after IncrementFlowRunCount, which reads it first.
 */
import { type FlowRun, isTerminalStateType } from "../../domain/index.ts";
import type { FlowContext } from "../flow-context.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { UniversalTransform } from "../transform.ts";

/** Clears `resuming` once the run is RUNNING again or final. */
export class RemoveResumingIndicator extends UniversalTransform<FlowRun, FlowOrchestrationDeps> {
  static override readonly ruleName = "RemoveResumingIndicator";

  protected override async beforeTransition(context: FlowContext): Promise<void> {
    const proposed = context.proposedState;
    if (proposed === null) return;
    const policy = context.run.empiricalPolicy;
    const runningOrFinal = proposed.type === "RUNNING" || isTerminalStateType(proposed.type);
    if (runningOrFinal && policy.resuming) policy.resuming = false;
  }
}
