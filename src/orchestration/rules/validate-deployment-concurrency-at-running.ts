/**
 * ValidateDeploymentConcurrencyAtRunning (spec §4.1, fix of §8.1.13 and §8.1.9): a run
 * takes its deployment slot at PENDING, but provisioning may outlast the lease, and after
 * the reaper deleted the lease another run may have taken the slot. So at RUNNING the lease
 * is renewed; if it is gone, the run tries to take a slot again, and if none is free it is
 * cancelled rather than exceed the limit.
 *
 * The client-version gate is dropped (preface): every client renews. Unlike Prefect, a slot
 * taken again here is given back when a later rule nullifies the transition (e.g. WAIT for a
 * future scheduled time), instead of leaking until its lease expires (Fix §8.1.9).
 */
import { type FlowRun, type State, StateType } from "../../domain/index.ts";
import {
  acquireDeploymentSlot,
  deploymentLeaseTtl,
  releaseHeldLease,
} from "../deployment-leases.ts";
import type { FlowContext } from "../flow-context.ts";
import { newState } from "../new-state.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { stateTypes } from "../step.ts";

/** Renews (or re-acquires) the deployment lease when a run starts running. */
export class ValidateDeploymentConcurrencyAtRunning extends OrchestrationRule<
  FlowRun,
  FlowOrchestrationDeps
> {
  static override readonly ruleName = "ValidateDeploymentConcurrencyAtRunning";
  static override readonly FROM_STATES = stateTypes(StateType.PENDING);
  static override readonly TO_STATES = stateTypes(StateType.RUNNING);

  /** The lease taken in this transition, to give back if the rule fizzles. */
  #acquiredLeaseId: string | null = null;

  protected override async beforeTransition(
    initial: State | null,
    proposed: State | null,
    context: FlowContext,
  ): Promise<void> {
    if (initial === null || proposed === null) return;
    const leaseId = initial.stateDetails.deploymentConcurrencyLeaseId ?? null;
    proposed.stateDetails.deploymentConcurrencyLeaseId = leaseId;
    if (leaseId === null) return;

    const { run, deps } = context;
    if (run.deploymentId === null) return;
    const deployment = await deps.deployments.readDeployment(run.deploymentId);
    if (!deployment?.concurrencyLimitId || !deployment.concurrencyLimit) return;

    const ttl = deploymentLeaseTtl(deployment, deps.settings);
    if (await deps.leases.renewLease(leaseId, ttl)) return;

    const acquired = await acquireDeploymentSlot(deps, deployment.concurrencyLimitId, run.id, ttl);
    if (acquired !== null) {
      this.#acquiredLeaseId = acquired;
      proposed.stateDetails.deploymentConcurrencyLeaseId = acquired;
      return;
    }
    this.rejectTransition(
      newState(deps, {
        type: StateType.CANCELLED,
        message:
          "Deployment concurrency slot lost during provisioning - no slots available to continue execution",
      }),
      "Deployment concurrency limit reached after lease expiry.",
    );
  }

  protected override async cleanup(
    _initial: State | null,
    validated: State | null,
    context: FlowContext,
  ): Promise<void> {
    const leaseId = this.#acquiredLeaseId;
    if (leaseId === null) return;
    this.#acquiredLeaseId = null;
    await releaseHeldLease(context.deps, leaseId, context.run.id);
    if (validated?.stateDetails.deploymentConcurrencyLeaseId === leaseId) {
      validated.stateDetails.deploymentConcurrencyLeaseId = null;
    }
  }
}
