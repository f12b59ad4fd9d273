/**
 * The one place where errors become gRPC statuses. Known domain errors map to their code
 * with a `google.rpc.Status` in `grpc-status-details-bin` (BadRequest with the field path,
 * ErrorInfo with a machine-readable reason). Anything else is a bug: INTERNAL with a
 * generic message, and the real error goes to the log, never to the client.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { BadRequestSchema, ErrorInfoSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../../gen/google/rpc/status_pb.js";
import {
  AlreadyExistsError,
  ConcurrentUpdateError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  StorageUnavailableError,
} from "../../domain/service-errors.ts";
import type { Logger } from "../../logger.ts";

const DOMAIN = "flowgate.dev";

interface Mapped {
  code: grpc.status;
  message: string;
  reason: string;
  field?: string;
}

function classify(error: unknown): Mapped | undefined {
  if (error instanceof InvalidArgumentError) {
    return {
      code: grpc.status.INVALID_ARGUMENT,
      message: error.message,
      reason: "INVALID_ARGUMENT",
      field: error.field,
    };
  }
  if (error instanceof NotFoundError)
    return { code: grpc.status.NOT_FOUND, message: error.message, reason: "NOT_FOUND" };
  if (error instanceof AlreadyExistsError) {
    return { code: grpc.status.ALREADY_EXISTS, message: error.message, reason: "ALREADY_EXISTS" };
  }
  if (error instanceof FailedPreconditionError) {
    return {
      code: grpc.status.FAILED_PRECONDITION,
      message: error.message,
      reason: "FAILED_PRECONDITION",
    };
  }
  if (error instanceof ConcurrentUpdateError)
    return { code: grpc.status.ABORTED, message: error.message, reason: "CONCURRENT_UPDATE" };
  if (error instanceof StorageUnavailableError) {
    return {
      code: grpc.status.UNAVAILABLE,
      message: error.message,
      reason: "DATABASE_UNAVAILABLE",
    };
  }
  if (isStatusError(error))
    return {
      code: error.code,
      message: error.details ?? error.message,
      reason: grpc.status[error.code],
    };
  return undefined;
}

/** A status raised on purpose by transport code (draining, deadline, auth). */
export class StatusError extends Error {
  readonly code: grpc.status;
  readonly details: string;
  constructor(code: grpc.status, details: string) {
    super(details);
    this.name = "StatusError";
    this.code = code;
    this.details = details;
  }
}

function isStatusError(error: unknown): error is StatusError {
  return error instanceof StatusError;
}

export function toServiceError(error: unknown, log: Logger, method: string): grpc.ServiceError {
  const mapped = classify(error);
  if (mapped === undefined) {
    log.error({ err: error, method }, "unhandled error");
    return serviceError({
      code: grpc.status.INTERNAL,
      message: "internal error",
      reason: "INTERNAL",
    });
  }
  return serviceError(mapped);
}

function serviceError(mapped: Mapped): grpc.ServiceError {
  const details = [
    anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason: mapped.reason, domain: DOMAIN })),
  ];
  if (mapped.field !== undefined) {
    details.push(
      anyPack(
        BadRequestSchema,
        create(BadRequestSchema, {
          fieldViolations: [{ field: mapped.field, description: mapped.message }],
        }),
      ),
    );
  }
  const status = create(StatusSchema, { code: mapped.code, message: mapped.message, details });
  const metadata = new grpc.Metadata();
  metadata.set("grpc-status-details-bin", Buffer.from(toBinary(StatusSchema, status)));
  return Object.assign(new Error(mapped.message), {
    code: mapped.code,
    details: mapped.message,
    metadata,
  });
}
