/**
 * The orchestration engine: context, rules, universal transforms, policies, the pipeline
 * and the ports it needs. Pure: imports only src/domain.
 */
export type { OrchestrationContextInit, OrchestrationParameters } from "./context.ts";
export { OrchestrationContext } from "./context.ts";
export type { OrchestrationRequest, OrchestrationResult } from "./engine.ts";
export { orchestrateTransition } from "./engine.ts";
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
  RelatedResourceReader,
  RunStateEvent,
  StateWriter,
  TagConcurrencyLimits,
  TaskOrchestrationDeps,
  TaskRunStateCache,
  TaskRunStateForcer,
} from "./ports.ts";
export { pythonStringRepr, reprError } from "./repr.ts";
export { OrchestrationRule } from "./rule.ts";
export type {
  OrchestrationStep,
  OrchestrationStepClass,
  StateTypeSet,
  TransitionEnd,
} from "./step.ts";
export { ALL_ORCHESTRATION_STATES, allStatesExcept, stateTypes } from "./step.ts";
export { UniversalTransform } from "./transform.ts";
