/**
 * Errors a use case raises for a caller's mistake or an infrastructure fault. Orchestration
 * outcomes (REJECT, WAIT, ABORT) are values, never these. The transport maps each class to
 * one gRPC status in one place.
 */

/** A request field is malformed; `field` is its path in the request (`flow_run_id`). */
export class InvalidArgumentError extends Error {
  readonly field: string;
  constructor(field: string, description: string) {
    super(`${field}: ${description}`);
    this.name = "InvalidArgumentError";
    this.field = field;
  }
}

/** The entity with this id does not exist. */
export class NotFoundError extends Error {
  readonly entity: string;
  readonly id: string;
  constructor(entity: string, id: string) {
    super(`${entity} ${id} not found`);
    this.name = "NotFoundError";
    this.entity = entity;
    this.id = id;
  }
}

/** The request conflicts with existing data (a unique key taken by another entity). */
export class AlreadyExistsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AlreadyExistsError";
  }
}

/** The operation is not allowed in the entity's current state. */
export class FailedPreconditionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FailedPreconditionError";
  }
}

/** A concurrent transaction won (serialization failure or deadlock): retry the call. */
export class ConcurrentUpdateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConcurrentUpdateError";
  }
}

/** The database cannot be reached; nothing was written. */
export class StorageUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StorageUnavailableError";
  }
}
