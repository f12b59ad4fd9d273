/**
 * The domain: state types, states, runs, concurrency entities and domain errors.
 * Imports nothing; everything else in flowgate builds on it.
 */
export type {
  CollisionStrategy,
  ConcurrencyLease,
  ConcurrencyOptions,
  Deployment,
  GlobalConcurrencyLimit,
  LeaseHolder,
  LeaseMetadata,
  TagConcurrencyLimit,
} from "./concurrency.ts";
export {
  ConcurrencySlotReleaseError,
  OrchestrationError,
  RunNotFoundError,
  TaskRunFlowRunNotFoundError,
  TransitionAlreadyValidatedError,
} from "./errors.ts";
export type {
  CreatedBy,
  FlowRun,
  FlowRunPolicy,
  RetryType,
  Run,
  RunBookkeeping,
  RunKind,
  TaskRun,
  TaskRunPolicy,
} from "./run.ts";
export { defaultFlowRunPolicy, defaultTaskRunPolicy } from "./run.ts";
export {
  AlreadyExistsError,
  ConcurrentUpdateError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  StorageUnavailableError,
} from "./service-errors.ts";
export type { JsonValue, State, StateDetails, StateInit } from "./state.ts";
export { buildState, copyState, freshCopy, isPersistedResult } from "./state.ts";
export {
  defaultStateName,
  isStateType,
  isTerminalStateType,
  STATE_TYPES,
  StateType,
  TERMINAL_STATE_TYPES,
} from "./state-type.ts";
