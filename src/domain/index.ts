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
export type { ErrorReason, NotFoundEntity } from "./errors.ts";
export {
  AlreadyExistsError,
  ConcurrencySlotReleaseError,
  ConcurrentUpdateError,
  FlowgateError,
  InvalidArgumentError,
  InvalidRequestError,
  NotFoundError,
  OrchestrationError,
  QUOTED_VALUE_LENGTH,
  quoteValue,
  RunCreationRefusedError,
  RunNotFoundError,
  StorageUnavailableError,
  TaskRunFlowRunNotFoundError,
  TransitionAlreadyValidatedError,
  truncateText,
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
export type { JsonValue, State, StateDecision, StateDetails, StateInit } from "./state.ts";
export { buildState, copyState, freshCopy, isPersistedResult } from "./state.ts";
export {
  defaultStateName,
  isStateType,
  isTerminalStateType,
  STATE_TYPES,
  StateType,
  TERMINAL_STATE_TYPES,
} from "./state-type.ts";
