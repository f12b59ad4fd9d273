/**
 * ReleaseFlowConcurrencySlots (spec §4.1; Fix §8.1.8 and §8.1.10): a run that leaves
 * PENDING/RUNNING/CANCELLING for anything else gives its deployment slot back.
 *
 * It releases only what the run itself holds: the lease named in the current state, if it
 * still exists and the run is its holder; when the current state names no lease (or names
 * one the run does not hold), whatever leases the run holds on the deployment's limit. A
 * lease the reaper already deleted has already given its slot back, so nothing is
 * decremented twice, and a run that never took a slot frees nobody else's. Release works on
 * inactive limits (the port's decrement ignores `active`). Failures propagate: the
 * transition fails rather than leave the accounting wrong.
 */
import { type FlowRun, StateType } from "../../domain/index.ts";
import { releaseHeldLease, releaseLeasesHeldOn } from "../deployment-leases.ts";
import type { FlowContext } from "../flow-context.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { stateTypes } from "../step.ts";
import { UniversalTransform } from "../transform.ts";

const HOLDING_STATES = stateTypes(StateType.PENDING, StateType.RUNNING, StateType.CANCELLING);

/** Gives back the deployment slot of a run that stops holding one. */
export class ReleaseFlowConcurrencySlots extends UniversalTransform<
  FlowRun,
  FlowOrchestrationDeps
> {
  static override readonly ruleName = "ReleaseFlowConcurrencySlots";

  protected override async afterTransition(context: FlowContext): Promise<void> {
    if (this.isNullified()) return;
    const { run, deps, initialState: initial, proposedState: proposed } = context;
    if (initial === null || proposed === null || run.deploymentId === null) return;
    if (!HOLDING_STATES.has(initial.type) || HOLDING_STATES.has(proposed.type)) return;

    const leaseId = initial.stateDetails.deploymentConcurrencyLeaseId;
    if (leaseId && (await releaseHeldLease(deps, leaseId, run.id))) return;

    const deployment = await deps.deployments.readDeployment(run.deploymentId);
    if (!deployment?.concurrencyLimitId) return;
    await releaseLeasesHeldOn(deps, deployment.concurrencyLimitId, run.id);
  }
}
