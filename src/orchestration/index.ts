/**
 * The orchestration engine: context, rules, universal transforms, policies, the pipeline
 * and the ports it needs. Pure: imports only src/domain.
 */
export type { OrchestrationContextInit, OrchestrationParameters } from "./context.ts";
export { OrchestrationContext } from "./context.ts";
export { EARLIEST_TIME_MS, LATEST_TIME_MS, timeAfterDelay } from "./delayed-time.ts";
export type { LeasePorts } from "./deployment-leases.ts";
export {
  acquireDeploymentSlot,
  deploymentLeaseTtl,
  flowRunHolder,
  releaseHeldLease,
  releaseLeasesHeldOn,
} from "./deployment-leases.ts";
export type { OrchestrationRequest, OrchestrationResult } from "./engine.ts";
export { orchestrateTransition } from "./engine.ts";
export type { FlowContext } from "./flow-context.ts";
export type { FlowRunEventInput } from "./flow-run-event.ts";
export { flowRunStateEvent, truncated } from "./flow-run-event.ts";
export { clampedPoissonInterval, DEFAULT_CLAMPING_FACTOR, roundHalfEven } from "./jitter.ts";
export { newState } from "./new-state.ts";
export type {
  AbortDetails,
  AcceptDetails,
  RejectDetails,
  ResponseDetails,
  WaitDetails,
} from "./outcome.ts";
export {
  abortDetails,
  acceptDetails,
  rejectDetails,
  SetStateStatus,
  waitDetails,
} from "./outcome.ts";
export { BackgroundTaskPolicy } from "./policies/background-task.ts";
export { CoreFlowPolicy } from "./policies/core-flow.ts";
export { CoreTaskPolicy } from "./policies/core-task.ts";
export { CreateFlowRunPolicy } from "./policies/create-flow-run.ts";
export { flowPoliciesByName, flowRunPolicies } from "./policies/flow-run-policies.ts";
export { GlobalFlowPolicy } from "./policies/global-flow.ts";
export { GlobalTaskPolicy } from "./policies/global-task.ts";
export { MarkLateRunsPolicy } from "./policies/mark-late-runs.ts";
export { MinimalFlowPolicy } from "./policies/minimal-flow.ts";
export { MinimalTaskPolicy } from "./policies/minimal-task.ts";
export {
  defaultTaskPolicy,
  taskPoliciesByName,
  taskRunPolicies,
} from "./policies/task-run-policies.ts";
export type { PolicyChoice, RunPolicies } from "./policy.ts";
export { choosePolicy, Policy } from "./policy.ts";
export type {
  CacheEntry,
  Clock,
  CoreDeps,
  DeploymentReader,
  EventOutbox,
  FlowOrchestrationDeps,
  FlowRunReader,
  FlowRunStateTimestamps,
  FlowRunWithState,
  GlobalConcurrencyLimits,
  IdGenerator,
  LeaseHolding,
  LeaseStore,
  RandomSource,
  RelatedResourceReader,
  RunStateEvent,
  ScheduledTaskNotifier,
  ScheduledTaskQueue,
  StateWriter,
  SubflowParentTasks,
  TagConcurrencyLimits,
  TaskOrchestrationDeps,
  TaskRunStateCache,
  TaskRunStateTimestamps,
} from "./ports.ts";
export { pythonStringRepr, reprError } from "./repr.ts";
export { OrchestrationRule } from "./rule.ts";
export { BypassCancellingFlowRunsWithNoInfra } from "./rules/bypass-cancelling-flow-runs-with-no-infra.ts";
export { CacheInsertion } from "./rules/cache-insertion.ts";
export { CacheRetrieval } from "./rules/cache-retrieval.ts";
export { CopyScheduledTime } from "./rules/copy-scheduled-time.ts";
export { CopyTaskParametersID } from "./rules/copy-task-parameters-id.ts";
export { EnforceCancellingToCancelledTransition } from "./rules/enforce-cancelling-to-cancelled-transition.ts";
export { EnforceDeploymentConcurrencyOnLate } from "./rules/enforce-deployment-concurrency-on-late.ts";
export { EnqueueScheduledTasks } from "./rules/enqueue-scheduled-tasks.ts";
export { EnsureFlowRunStateTimestampIsUnique } from "./rules/ensure-flow-run-state-timestamp-is-unique.ts";
export { EnsureOnlyScheduledFlowsMarkedLate } from "./rules/ensure-only-scheduled-flows-marked-late.ts";
export { EnsureTaskRunStateTimestampIsUnique } from "./rules/ensure-task-run-state-timestamp-is-unique.ts";
export { HandleFlowTerminalStateTransitions } from "./rules/handle-flow-terminal-state-transitions.ts";
export { HandlePausingFlows } from "./rules/handle-pausing-flows.ts";
export { HandleResumingPausedFlows } from "./rules/handle-resuming-paused-flows.ts";
export { HandleTaskTerminalStateTransitions } from "./rules/handle-task-terminal-state-transitions.ts";
export { IncrementFlowRunCount } from "./rules/increment-flow-run-count.ts";
export { IncrementRunTime } from "./rules/increment-run-time.ts";
export { IncrementTaskRunCount } from "./rules/increment-task-run-count.ts";
export { InstrumentFlowRunStateTransitions } from "./rules/instrument-flow-run-state-transitions.ts";
export { PreserveDeploymentConcurrencyLeaseId } from "./rules/preserve-deployment-concurrency-lease-id.ts";
export { PreventDuplicateTransitions } from "./rules/prevent-duplicate-transitions.ts";
export { PreventPendingTransitions } from "./rules/prevent-pending-transitions.ts";
export { PreventResultDataLoss } from "./rules/prevent-result-data-loss.ts";
export { PreventRunningTasksFromStoppedFlows } from "./rules/prevent-running-tasks-from-stopped-flows.ts";
export { ReleaseFlowConcurrencySlots } from "./rules/release-flow-concurrency-slots.ts";
export { ReleaseTaskConcurrencySlots } from "./rules/release-task-concurrency-slots.ts";
export { RemoveResumingIndicator } from "./rules/remove-resuming-indicator.ts";
export { RenameReruns } from "./rules/rename-reruns.ts";
export { RetryFailedFlows } from "./rules/retry-failed-flows.ts";
export { RetryFailedTasks, taskRetryDelaySeconds } from "./rules/retry-failed-tasks.ts";
export { SecureFlowConcurrencySlots } from "./rules/secure-flow-concurrency-slots.ts";
export { SecureFlowConcurrencySlotsStrictly } from "./rules/secure-flow-concurrency-slots-strictly.ts";
export { SecureTaskConcurrencySlots } from "./rules/secure-task-concurrency-slots.ts";
export { SetEndTime } from "./rules/set-end-time.ts";
export { SetExpectedStartTime } from "./rules/set-expected-start-time.ts";
export { SetNextScheduledStartTime } from "./rules/set-next-scheduled-start-time.ts";
export { SetRunStateName } from "./rules/set-run-state-name.ts";
export { SetRunStateTimestamp } from "./rules/set-run-state-timestamp.ts";
export { SetRunStateType } from "./rules/set-run-state-type.ts";
export { SetStartTime } from "./rules/set-start-time.ts";
export { UpdateFlowRunTrackerOnTasks } from "./rules/update-flow-run-tracker-on-tasks.ts";
export { UpdateStateDetails } from "./rules/update-state-details.ts";
export { UpdateSubflowParentTask } from "./rules/update-subflow-parent-task.ts";
export { UpdateSubflowStateDetails } from "./rules/update-subflow-state-details.ts";
export { ValidateDeploymentConcurrencyAtRunning } from "./rules/validate-deployment-concurrency-at-running.ts";
export { secondsUntil, WaitForScheduledTime } from "./rules/wait-for-scheduled-time.ts";
export type { OrchestrationSettings } from "./settings.ts";
export { defaultOrchestrationSettings } from "./settings.ts";
export type {
  OrchestrationStep,
  OrchestrationStepClass,
  StateTypeSet,
  TransitionEnd,
} from "./step.ts";
export { ALL_ORCHESTRATION_STATES, allStatesExcept, stateTypes } from "./step.ts";
export type { TagSlotPorts } from "./tag-slots.ts";
export {
  releaseTagSlots,
  renewTagSlots,
  tagLimitName,
  taskRunHolder,
} from "./tag-slots.ts";
export type { TaskContext } from "./task-context.ts";
export { taskRunStateEvent } from "./task-run-event.ts";
export { UniversalTransform } from "./transform.ts";
