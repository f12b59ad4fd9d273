/**
 * SecureFlowConcurrencySlotsStrictly (flowgate's own; only with the `strictDeploymentLimits`
 * setting, `FLOWGATE_STRICT_DEPLOYMENT_LIMITS`): a deployed run enters PENDING or RUNNING
 * only holding a deployment slot.
 *
 * Prefect takes the slot on the way into PENDING alone (SecureFlowConcurrencySlots): a
 * worker that proposes SCHEDULED → RUNNING directly, resumes a paused run straight into
 * RUNNING, or creates a run already PENDING or RUNNING holds no slot and is never counted.
 * Prefect's own workers always pass through PENDING; workers written by others may not. In
 * strict mode this rule closes those paths: a run that already holds a lease on its
 * deployment's limit keeps it (renewed, and named in the proposed state); any other run
 * takes a slot exactly as SecureFlowConcurrencySlots does, or is turned away the same way
 * (AwaitingConcurrencySlot, or CANCELLED with CANCEL_NEW; ABORT at a limit of 0), with the
 * same reason strings. A slot taken here is given back if a later rule fizzles the
 * transition (the inherited cleanup).
 *
 * It runs in CoreFlowPolicy after SecureFlowConcurrencySlots and
 * ValidateDeploymentConcurrencyAtRunning (whose slots it finds held), and in
 * CreateFlowRunPolicy for a run's initial state. Forced transitions never run it: `force`
 * is an operator's override. Without the setting the rule is invalid for every transition,
 * so it runs no hook and appears in no signature: Prefect's behaviour is unchanged.
 */
import { type State, StateType } from "../../domain/index.ts";
import { deploymentLeaseTtl, keepHeldDeploymentSlot } from "../deployment-leases.ts";
import type { FlowContext } from "../flow-context.ts";
import { ALL_ORCHESTRATION_STATES, stateTypes } from "../step.ts";
import { SecureFlowConcurrencySlots } from "./secure-flow-concurrency-slots.ts";

/** In strict mode, takes (or keeps) a deployment slot on every way into PENDING or RUNNING. */
export class SecureFlowConcurrencySlotsStrictly extends SecureFlowConcurrencySlots {
  static override readonly ruleName = "SecureFlowConcurrencySlotsStrictly";
  static override readonly FROM_STATES = ALL_ORCHESTRATION_STATES;
  static override readonly TO_STATES = stateTypes(StateType.PENDING, StateType.RUNNING);

  /** Applies only in strict mode; otherwise as if its FROM/TO sets were empty. */
  override invalid(): boolean {
    return !this.context.deps.settings.strictDeploymentLimits || super.invalid();
  }

  protected override async beforeTransition(
    initial: State | null,
    proposed: State | null,
    context: FlowContext,
  ): Promise<void> {
    if (await keepsHeldSlot(proposed, context)) return;
    await super.beforeTransition(initial, proposed, context);
  }
}

/** Whether the run already holds a slot on its deployment's limit (then named in `proposed`). */
async function keepsHeldSlot(proposed: State | null, context: FlowContext): Promise<boolean> {
  const { run, deps } = context;
  if (run.deploymentId === null || proposed === null) return false;
  const deployment = await deps.deployments.readDeployment(run.deploymentId);
  if (!deployment?.concurrencyLimitId) return false;
  const ttl = deploymentLeaseTtl(deployment, deps.settings);
  const leaseId = await keepHeldDeploymentSlot(deps, deployment.concurrencyLimitId, run.id, ttl);
  if (leaseId === null) return false;
  proposed.stateDetails.deploymentConcurrencyLeaseId = leaseId;
  return true;
}
