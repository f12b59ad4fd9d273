/**
 * MinimalFlowPolicy (spec §3, §2.9): what still applies to forced transitions, policy-less
 * calls and run creation. Force skips the guards, but never result loss, the no-infra
 * cancellation bypass, events or giving back deployment slots.
 */
import type { FlowRun } from "../../domain/index.ts";
import { Policy } from "../policy.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { BypassCancellingFlowRunsWithNoInfra } from "../rules/bypass-cancelling-flow-runs-with-no-infra.ts";
import { InstrumentFlowRunStateTransitions } from "../rules/instrument-flow-run-state-transitions.ts";
import { PreventResultDataLoss } from "../rules/prevent-result-data-loss.ts";
import { ReleaseFlowConcurrencySlots } from "../rules/release-flow-concurrency-slots.ts";

/** The flow-run policy of `force` and of run creation. */
export const MinimalFlowPolicy = new Policy<FlowRun, FlowOrchestrationDeps>("MinimalFlowPolicy", [
  PreventResultDataLoss,
  BypassCancellingFlowRunsWithNoInfra,
  InstrumentFlowRunStateTransitions,
  ReleaseFlowConcurrencySlots,
]);
