/**
 * EnforceDeploymentConcurrencyOnLate (spec §4.1, MarkLateRunsPolicy): a late run of a
 * CANCEL_NEW deployment whose limit is full would only be cancelled when a worker claims
 * it, so the late-runs service cancels it right away. It reads the stored slot count as is
 * (no decay, `active` ignored), like Prefect; ENQUEUE deployments are marked Late normally.
 */
import { type FlowRun, type State, StateType } from "../../domain/index.ts";
import type { FlowContext } from "../flow-context.ts";
import { newState } from "../new-state.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { stateTypes } from "../step.ts";

/** Cancels instead of marking Late when a CANCEL_NEW deployment's limit is full. */
export class EnforceDeploymentConcurrencyOnLate extends OrchestrationRule<
  FlowRun,
  FlowOrchestrationDeps
> {
  static override readonly ruleName = "EnforceDeploymentConcurrencyOnLate";
  static override readonly FROM_STATES = stateTypes(StateType.SCHEDULED);
  static override readonly TO_STATES = stateTypes(StateType.SCHEDULED);

  protected override async beforeTransition(
    _initial: State | null,
    proposed: State | null,
    context: FlowContext,
  ): Promise<void> {
    const { run, deps } = context;
    if (proposed?.name !== "Late" || run.deploymentId === null) return;
    const deployment = await deps.deployments.readDeployment(run.deploymentId);
    if (!deployment?.concurrencyLimitId) return;
    if (deployment.concurrencyOptions?.collisionStrategy !== "CANCEL_NEW") return;
    const limit = deployment.concurrencyLimit;
    if (limit === null || limit.activeSlots < limit.limit) return;
    this.rejectTransition(
      newState(deps, {
        type: StateType.CANCELLED,
        message: "Deployment concurrency limit reached.",
      }),
      "Deployment concurrency limit is full and uses the CANCEL_NEW strategy.",
    );
  }
}
