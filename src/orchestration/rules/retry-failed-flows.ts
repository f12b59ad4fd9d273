/**
 * RetryFailedFlows (spec §4.1): a flow run with retries left does not fail; it is
 * rescheduled as "AwaitingRetry" after its retry delay and retried in the same process
 * (`retry_type = "in_process"`), carrying the failure's message and data. `run_count` is
 * incremented on entering RUNNING, so `retries = N` allows N + 1 executions. Exhausted
 * retries clear `retry_type` (§8.3.3). The legacy task-retry branch for old API versions is
 * dropped (preface).
 */
import { type FlowRun, type State, StateType } from "../../domain/index.ts";
import { timeAfterDelay } from "../delayed-time.ts";
import type { FlowContext } from "../flow-context.ts";
import { newState } from "../new-state.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { stateTypes } from "../step.ts";

/** Turns RUNNING → FAILED into AwaitingRetry while retries remain. */
export class RetryFailedFlows extends OrchestrationRule<FlowRun, FlowOrchestrationDeps> {
  static override readonly ruleName = "RetryFailedFlows";
  static override readonly FROM_STATES = stateTypes(StateType.RUNNING);
  static override readonly TO_STATES = stateTypes(StateType.FAILED);

  protected override async beforeTransition(
    initial: State | null,
    proposed: State | null,
    context: FlowContext,
  ): Promise<void> {
    if (initial === null || proposed === null) return;
    const { run, deps } = context;
    const policy = run.empiricalPolicy;
    if (policy.retries === null || run.runCount > policy.retries) {
      policy.retryType = null;
      return;
    }
    const scheduledTime = timeAfterDelay(deps.clock.now(), policy.retryDelay || 0);
    policy.resuming = false;
    policy.pauseKeys = [];
    policy.retryType = "in_process";
    this.rejectTransition(
      newState(deps, {
        type: StateType.SCHEDULED,
        name: "AwaitingRetry",
        message: proposed.message,
        data: proposed.data,
        stateDetails: { scheduledTime },
      }),
      "Retrying",
    );
  }
}
