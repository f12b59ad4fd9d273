/**
 * PreserveDeploymentConcurrencyLeaseId (spec §4.1; fix of §8.1.14): workers that send
 * `deployment_concurrency_lease_id: null` must not drop the lease the run holds, or the
 * slot could never be released by id. So a proposal without a lease id inherits the
 * current state's, on every transition (terminal states keep the run's lease id too).
 */
import type { FlowRun } from "../../domain/index.ts";
import type { FlowContext } from "../flow-context.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { UniversalTransform } from "../transform.ts";

/** Copies the current state's deployment lease id into a proposal that has none. */
export class PreserveDeploymentConcurrencyLeaseId extends UniversalTransform<
  FlowRun,
  FlowOrchestrationDeps
> {
  static override readonly ruleName = "PreserveDeploymentConcurrencyLeaseId";

  protected override async beforeTransition(context: FlowContext): Promise<void> {
    const { initialState: initial, proposedState: proposed } = context;
    if (initial === null || proposed === null) return;
    const leaseId = initial.stateDetails.deploymentConcurrencyLeaseId;
    if (leaseId && proposed.stateDetails.deploymentConcurrencyLeaseId == null) {
      proposed.stateDetails.deploymentConcurrencyLeaseId = leaseId;
    }
  }
}
