/**
 * States: immutable-by-convention records of "what a run is doing", one row per transition.
 *
 * Orchestration rules do mutate states in flight (rename a proposal, copy a scheduled time
 * into its details) — that is why the fields are not `readonly`. Once validated, a state is
 * history and nothing changes it.
 */
import { defaultStateName, type StateType } from "./state-type.ts";

/** Any JSON value: what a state's `data` (its result) and orchestration parameters hold. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/**
 * Details attached to a state (spec §1.3). Every field is optional; an explicit `null` from a
 * client is a value (it overwrites), absence means "not given".
 */
export interface StateDetails {
  flowRunId?: string | null;
  taskRunId?: string | null;
  childFlowRunId?: string | null;
  scheduledTime?: Date | null;
  cacheKey?: string | null;
  cacheExpiration?: Date | null;
  deferred?: boolean | null;
  untrackableResult?: boolean | null;
  pauseTimeout?: Date | null;
  pauseReschedule?: boolean | null;
  pauseKey?: string | null;
  runInputKeyset?: Record<string, string> | null;
  refreshCache?: boolean | null;
  retriable?: boolean | null;
  transitionId?: string | null;
  taskParametersId?: string | null;
  traceparent?: string | null;
  deploymentConcurrencyLeaseId?: string | null;
}

/**
 * Why a stored state exists: the orchestration that wrote it, kept with the state in the
 * same write so that a run's history explains itself. Only ACCEPT and REJECT write states.
 */
export interface StateDecision {
  /** The policy that ran, e.g. "CoreFlowPolicy" ("MinimalFlowPolicy" when forced). */
  readonly policy: string;
  /** The policy's rules whose before-hook ran, in priority order (transforms left out). */
  readonly firedRules: readonly string[];
  /**
   * Fired rules that fizzled: a later rule changed the transition, so they ran their
   * cleanup hook instead of their after-hook.
   */
  readonly fizzledRules: readonly string[];
  /** Whether a rule rejected the proposal and wrote this state in its place. */
  readonly rejected: boolean;
  /** The rejecting rule's reason; `null` when the proposal was accepted. */
  readonly reason: string | null;
}

/** A run state (spec §1.2). */
export interface State {
  /** Server-generated UUIDv7; internal callers may supply one. */
  id: string;
  type: StateType;
  /** Never empty: defaults to {@link defaultStateName}. */
  name: string;
  /** Server clock at the moment the state was built, before orchestration starts. */
  timestamp: Date;
  message: string | null;
  stateDetails: StateDetails;
  /** The result, or `null` when the state carries none. */
  data: JsonValue | null;
  /**
   * The decision that wrote this state: set by the engine just before the write, and read
   * back with the run's history; absent where it was not read (or predates decisions).
   */
  decision?: StateDecision | null;
}

/** What it takes to build a state; everything but the type has a default. */
export interface StateInit {
  type: StateType;
  name?: string | null;
  message?: string | null;
  stateDetails?: StateDetails;
  data?: JsonValue | null;
}

/**
 * Build a state with the creation-time defaults of spec §1.2: the default name (an empty
 * name counts as absent, since proto3 cannot tell them apart), and for SCHEDULED an empty
 * `scheduledTime` set to `now`. The details object is copied so the
 * caller's object is never shared with the new state.
 */
export function buildState(init: StateInit, id: string, now: Date): State {
  const stateDetails: StateDetails = { ...init.stateDetails };
  if (init.type === "SCHEDULED" && stateDetails.scheduledTime == null) {
    stateDetails.scheduledTime = now;
  }
  return {
    id,
    type: init.type,
    name: init.name || defaultStateName(init.type),
    timestamp: now,
    message: init.message ?? null,
    stateDetails,
    data: init.data ?? null,
  };
}

/** A deep copy of `state`: no object is shared with the original. */
export function copyState(state: State): State {
  return structuredClone(state);
}

/**
 * Prefect's `fresh_copy()`: a deep copy with a new id and `timestamp = now`. Used for cached
 * states and for the parent-task mirror of subflow states.
 */
export function freshCopy(state: State, id: string, now: Date): State {
  return { ...copyState(state), id, timestamp: now };
}

/**
 * The persisted-result test of spec §1.4: `data` is a JSON object whose `type` is not
 * `"unpersisted"`. An object without a `type` key counts; scalars and lists never do.
 */
export function isPersistedResult(data: JsonValue | null | undefined): boolean {
  if (data === null || data === undefined || typeof data !== "object" || Array.isArray(data)) {
    return false;
  }
  return data.type !== "unpersisted";
}
