/**
 * SecureFlowConcurrencySlots (spec §4.1): deployment concurrency limits are enforced when a
 * worker claims a run (→ PENDING), before it provisions infrastructure. The slot is taken
 * with a lease held by the run, whose id travels in the PENDING state's details. When the
 * limit is full the run is re-queued ("AwaitingConcurrencySlot") or cancelled, as the
 * deployment's collision strategy says.
 *
 * Both happen in the transition's transaction, so a transition that rolls back holds
 * nothing; a transition that is nullified by a later rule gives the slot back in cleanup.
 * The worker-version skip is dropped (preface). Unlike Prefect, the lease names the run as
 * its holder, so release can check that a run frees only what it holds (Fix §8.1.8).
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
import { allStatesExcept, stateTypes } from "../step.ts";

const LIMIT_REACHED = "Deployment concurrency limit reached.";

/** Takes a deployment concurrency slot (and lease) when a run enters PENDING. */
export class SecureFlowConcurrencySlots extends OrchestrationRule<FlowRun, FlowOrchestrationDeps> {
  static override readonly ruleName: string = "SecureFlowConcurrencySlots";
  static override readonly FROM_STATES = allStatesExcept(
    StateType.PENDING,
    StateType.RUNNING,
    StateType.CANCELLING,
  );
  static override readonly TO_STATES = stateTypes(StateType.PENDING);

  /** The lease taken in this transition, to give back if the rule fizzles. */
  #acquiredLeaseId: string | null = null;

  protected override async beforeTransition(
    _initial: State | null,
    proposed: State | null,
    context: FlowContext,
  ): Promise<void> {
    const { run, deps } = context;
    if (run.deploymentId === null || proposed === null) return;
    const deployment = await deps.deployments.readDeployment(run.deploymentId);
    if (deployment === null) {
      this.abortTransition("Deployment not found.");
      return;
    }
    const limit = deployment.concurrencyLimit;
    if (!deployment.concurrencyLimitId || limit === null) return;
    if (limit.limit === 0) {
      this.abortTransition(
        "The deployment concurrency limit is 0. The flow will deadlock if submitted again.",
      );
      return;
    }

    const ttl = deploymentLeaseTtl(deployment, deps.settings);
    const leaseId = await acquireDeploymentSlot(deps, deployment.concurrencyLimitId, run.id, ttl);
    if (leaseId !== null) {
      this.#acquiredLeaseId = leaseId;
      proposed.stateDetails.deploymentConcurrencyLeaseId = leaseId;
      return;
    }

    if (deployment.concurrencyOptions?.collisionStrategy === "CANCEL_NEW") {
      this.rejectTransition(
        newState(deps, { type: StateType.CANCELLED, message: LIMIT_REACHED }),
        LIMIT_REACHED,
      );
      return;
    }
    const waitMs = deps.settings.deploymentConcurrencySlotWaitSeconds * 1000;
    this.rejectTransition(
      newState(deps, {
        type: StateType.SCHEDULED,
        name: "AwaitingConcurrencySlot",
        stateDetails: { scheduledTime: new Date(deps.clock.now().getTime() + waitMs) },
      }),
      LIMIT_REACHED,
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
    // Only the returned copy: the run's current state never carried this lease.
    if (validated !== null) validated.stateDetails.deploymentConcurrencyLeaseId = null;
  }
}
