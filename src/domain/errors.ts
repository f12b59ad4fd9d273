/**
 * Errors of orchestration and run lookup. Each carries readonly fields, not just a message,
 * so the transport maps it to a status without parsing text. Outcomes (REJECT, WAIT, ABORT)
 * are values, not errors: only bugs and faults throw.
 *
 * The caller-facing error classes (NotFoundError, InvalidArgumentError, ...) live in
 * service-errors.ts; a missing run is one of them, so it maps to NOT_FOUND with no extra case.
 */
import type { RunKind } from "./run.ts";
import { NotFoundError } from "./service-errors.ts";

/** The run a request names does not exist (→ NOT_FOUND), with the spec's message. */
export class RunNotFoundError extends NotFoundError {
  readonly runKind: RunKind;
  readonly runId: string;

  constructor(runKind: RunKind, runId: string) {
    const entity = runKind === "flow_run" ? "Flow run" : "Task run";
    super(entity, runId);
    this.name = "RunNotFoundError";
    // Prefect's wording, which clients may match on.
    this.message = `${entity} with id ${runId} not found`;
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
    super("Flow run", flowRunId);
    this.name = "TaskRunFlowRunNotFoundError";
    this.message = `Unable to read flow run associated with task run: ${taskRunId}, this flow run might have been deleted`;
    this.taskRunId = taskRunId;
  }
}

/**
 * A rule misused the engine, e.g. rejected a run that has no state without giving a new one
 * (→ INTERNAL: it is a bug in the rule, not in the request).
 */
export class OrchestrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
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
export class ConcurrencySlotReleaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConcurrencySlotReleaseError";
  }
}
