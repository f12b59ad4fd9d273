/**
 * The service's own errors. Every one extends {@link FlowgateError} and carries a
 * machine-readable {@link ErrorReason}; the transport maps the reason to a gRPC status in
 * one table and sends it as `google.rpc.ErrorInfo.reason`, so no layer parses messages.
 * Orchestration outcomes (REJECT, WAIT, ABORT) are values, never errors: only a caller's
 * mistake, a lost race, an infrastructure fault or a bug throws.
 *
 * Messages quote caller-supplied values through {@link quoteValue}, so that a 1 MB id never
 * becomes a 1 MB message.
 */
import type { RunKind } from "./run.ts";

/** Why a call failed, as clients read it in `ErrorInfo.reason`. */
export type ErrorReason =
  /** A request field is malformed or out of range (with the field path). */
  | "INVALID_FIELD"
  /** The request as a whole is unusable: it does not decode, or PostgreSQL refused a value of it. */
  | "INVALID_REQUEST"
  | "FLOW_NOT_FOUND"
  | "DEPLOYMENT_NOT_FOUND"
  | "RUN_NOT_FOUND"
  | "FLOW_RUN_INPUT_NOT_FOUND"
  | "LEASE_NOT_FOUND"
  | "CONCURRENCY_LIMIT_NOT_FOUND"
  /** A unique key of the request is taken. */
  | "ALREADY_EXISTS"
  /** A concurrent transaction won (serialization failure, deadlock, lock timeout): retry. */
  | "CONCURRENT_UPDATE"
  /** The database cannot be reached; nothing was written: retry. */
  | "DATABASE_UNAVAILABLE"
  /** A rule misused the engine: a bug. */
  | "ORCHESTRATION_FAILED"
  /** Giving back concurrency slots failed (spec §8.1.7). */
  | "CONCURRENCY_SLOT_RELEASE_FAILED"
  /** The run's initial state was aborted (e.g. a strict deployment limit of 0): nothing was created. */
  | "RUN_CREATION_REFUSED";

/** The root of the service's own errors: a message and a machine-readable reason. */
export class FlowgateError extends Error {
  readonly reason: ErrorReason;

  constructor(reason: ErrorReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FlowgateError";
    this.reason = reason;
  }
}

/** How many characters of a caller's value a message quotes. */
export const QUOTED_VALUE_LENGTH = 64;

/**
 * The first `max` UTF-16 units of `text`, and "…" when it is longer. Never cuts a surrogate
 * pair: a lone surrogate would make grpc-js's `encodeURI` of the status message throw.
 */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}

/** A caller's value for an error message: JSON-quoted, at most {@link QUOTED_VALUE_LENGTH} characters of it. */
export function quoteValue(value: string): string {
  return JSON.stringify(truncateText(value, QUOTED_VALUE_LENGTH));
}

/** A request field is malformed; `field` is its path in the request (`flow_run_id`). */
export class InvalidArgumentError extends FlowgateError {
  readonly field: string;

  constructor(field: string, description: string) {
    super("INVALID_FIELD", `${field}: ${description}`);
    this.name = "InvalidArgumentError";
    this.field = field;
  }
}

/**
 * The request as a whole is unusable and no single field can be named: it does not decode,
 * or PostgreSQL refused a value it carries (a NUL character in text).
 */
export class InvalidRequestError extends FlowgateError {
  constructor(message: string, options?: ErrorOptions) {
    super("INVALID_REQUEST", message, options);
    this.name = "InvalidRequestError";
  }
}

const NOT_FOUND_REASONS = {
  flow: "FLOW_NOT_FOUND",
  deployment: "DEPLOYMENT_NOT_FOUND",
  "flow run": "RUN_NOT_FOUND",
  "task run": "RUN_NOT_FOUND",
  "flow run input": "FLOW_RUN_INPUT_NOT_FOUND",
  lease: "LEASE_NOT_FOUND",
  "concurrency limit": "CONCURRENCY_LIMIT_NOT_FOUND",
} as const satisfies Record<string, ErrorReason>;

/** What a NOT_FOUND names; each entity has its own reason. */
export type NotFoundEntity = keyof typeof NOT_FOUND_REASONS;

/** The entity with this id does not exist. */
export class NotFoundError extends FlowgateError {
  readonly entity: NotFoundEntity;
  readonly id: string;

  constructor(entity: NotFoundEntity, id: string) {
    super(
      NOT_FOUND_REASONS[entity],
      `${entity} ${truncateText(id, QUOTED_VALUE_LENGTH)} not found`,
    );
    this.name = "NotFoundError";
    this.entity = entity;
    this.id = id;
  }
}

/** The run a request names does not exist (→ NOT_FOUND), with the spec's message. */
export class RunNotFoundError extends NotFoundError {
  readonly runKind: RunKind;
  readonly runId: string;

  constructor(runKind: RunKind, runId: string) {
    super(runKind === "flow_run" ? "flow run" : "task run", runId);
    this.name = "RunNotFoundError";
    // Prefect's wording, which clients may match on.
    const entity = runKind === "flow_run" ? "Flow run" : "Task run";
    this.message = `${entity} with id ${truncateText(runId, QUOTED_VALUE_LENGTH)} not found`;
    this.runKind = runKind;
    this.runId = runId;
  }
}

/**
 * A task run's parent flow run is gone when UpdateFlowRunTrackerOnTasks reads it
 * (→ NOT_FOUND, the transition rolls back), with Prefect's message.
 */
export class TaskRunFlowRunNotFoundError extends NotFoundError {
  readonly taskRunId: string;

  constructor(taskRunId: string, flowRunId: string) {
    super("flow run", flowRunId);
    this.name = "TaskRunFlowRunNotFoundError";
    this.message = `Unable to read flow run associated with task run: ${taskRunId}, this flow run might have been deleted`;
    this.taskRunId = taskRunId;
  }
}

/** The request conflicts with existing data (a unique key taken by another entity). */
export class AlreadyExistsError extends FlowgateError {
  constructor(message: string, options?: ErrorOptions) {
    super("ALREADY_EXISTS", message, options);
    this.name = "AlreadyExistsError";
  }
}

/** The initial state of a new run was aborted, so the run was not created; the message is the abort reason. */
export class RunCreationRefusedError extends FlowgateError {
  constructor(reason: string) {
    super("RUN_CREATION_REFUSED", reason);
    this.name = "RunCreationRefusedError";
  }
}

/** A concurrent transaction won (serialization failure or deadlock): retry the call. */
export class ConcurrentUpdateError extends FlowgateError {
  constructor(message: string, options?: ErrorOptions) {
    super("CONCURRENT_UPDATE", message, options);
    this.name = "ConcurrentUpdateError";
  }
}

/** The database cannot be reached; nothing was written. */
export class StorageUnavailableError extends FlowgateError {
  constructor(message: string, options?: ErrorOptions) {
    super("DATABASE_UNAVAILABLE", message, options);
    this.name = "StorageUnavailableError";
  }
}

/**
 * A rule misused the engine, e.g. rejected a run that has no state without giving a new one
 * (→ INTERNAL: it is a bug in the rule, not in the request).
 */
export class OrchestrationError extends FlowgateError {
  constructor(message: string, options?: ErrorOptions) {
    super("ORCHESTRATION_FAILED", message, options);
    this.name = "OrchestrationError";
  }
}

/** A rule tried to change the outcome after the state was written (→ INTERNAL). */
export class TransitionAlreadyValidatedError extends OrchestrationError {
  constructor() {
    super("The transition is already validated");
    this.name = "TransitionAlreadyValidatedError";
  }
}

/**
 * Giving back concurrency slots failed (a limit row of the lease is gone). The transition
 * fails rather than leave the slot accounting wrong (→ INTERNAL; spec §8.1.7).
 */
export class ConcurrencySlotReleaseError extends FlowgateError {
  constructor(message: string) {
    super("CONCURRENCY_SLOT_RELEASE_FAILED", message);
    this.name = "ConcurrencySlotReleaseError";
  }
}
