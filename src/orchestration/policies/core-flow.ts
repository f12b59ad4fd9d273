/**
 * CoreFlowPolicy (spec §3): the rules of SetFlowRunState and ResumeFlowRun, in priority
 * order. RemoveDeploymentConcurrencyLeaseForOldClientVersions is left out: it exists only
 * for old clients (preface "Drop"). SecureFlowConcurrencySlotsStrictly is flowgate's own and
 * applies only with the `strictDeploymentLimits` setting.
 */
import type { FlowRun } from "../../domain/index.ts";
import { Policy } from "../policy.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { BypassCancellingFlowRunsWithNoInfra } from "../rules/bypass-cancelling-flow-runs-with-no-infra.ts";
import { CopyScheduledTime } from "../rules/copy-scheduled-time.ts";
import { EnforceCancellingToCancelledTransition } from "../rules/enforce-cancelling-to-cancelled-transition.ts";
import { EnsureOnlyScheduledFlowsMarkedLate } from "../rules/ensure-only-scheduled-flows-marked-late.ts";
import { HandleFlowTerminalStateTransitions } from "../rules/handle-flow-terminal-state-transitions.ts";
import { HandlePausingFlows } from "../rules/handle-pausing-flows.ts";
import { HandleResumingPausedFlows } from "../rules/handle-resuming-paused-flows.ts";
import { InstrumentFlowRunStateTransitions } from "../rules/instrument-flow-run-state-transitions.ts";
import { PreserveDeploymentConcurrencyLeaseId } from "../rules/preserve-deployment-concurrency-lease-id.ts";
import { PreventDuplicateTransitions } from "../rules/prevent-duplicate-transitions.ts";
import { PreventPendingTransitions } from "../rules/prevent-pending-transitions.ts";
import { ReleaseFlowConcurrencySlots } from "../rules/release-flow-concurrency-slots.ts";
import { RetryFailedFlows } from "../rules/retry-failed-flows.ts";
import { SecureFlowConcurrencySlots } from "../rules/secure-flow-concurrency-slots.ts";
import { SecureFlowConcurrencySlotsStrictly } from "../rules/secure-flow-concurrency-slots-strictly.ts";
import { ValidateDeploymentConcurrencyAtRunning } from "../rules/validate-deployment-concurrency-at-running.ts";
import { WaitForScheduledTime } from "../rules/wait-for-scheduled-time.ts";

/** The default flow-run policy. */
export const CoreFlowPolicy = new Policy<FlowRun, FlowOrchestrationDeps>("CoreFlowPolicy", [
  PreserveDeploymentConcurrencyLeaseId,
  PreventDuplicateTransitions,
  HandleFlowTerminalStateTransitions,
  EnforceCancellingToCancelledTransition,
  BypassCancellingFlowRunsWithNoInfra,
  PreventPendingTransitions,
  ValidateDeploymentConcurrencyAtRunning,
  SecureFlowConcurrencySlots,
  SecureFlowConcurrencySlotsStrictly,
  EnsureOnlyScheduledFlowsMarkedLate,
  HandlePausingFlows,
  HandleResumingPausedFlows,
  CopyScheduledTime,
  WaitForScheduledTime,
  RetryFailedFlows,
  InstrumentFlowRunStateTransitions,
  ReleaseFlowConcurrencySlots,
]);
