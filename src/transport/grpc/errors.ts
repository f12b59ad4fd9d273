/**
 * The one place where errors become gRPC statuses. The service's own errors
 * ({@link FlowgateError}) map by their reason through {@link STATUS_BY_REASON}; a status
 * the transport raises on purpose ({@link StatusError}: auth, admission, a cancelled call)
 * keeps its code. Both go out with a `google.rpc.Status` in `grpc-status-details-bin`: an
 * ErrorInfo (`reason`, domain `flowgate.dev`) and, for a bad field, a BadRequest with its
 * path. Anything else is a bug: INTERNAL with a generic message, the real error logged with
 * its cause, never sent to the client.
 *
 * Messages are capped ({@link MAX_MESSAGE_LENGTH}): the message travels twice in the
 * trailers (`grpc-message`, percent-encoded, and inside the details), and trailers beyond
 * HTTP/2's header-list limit make the client see INTERNAL "Protocol error" instead.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { BadRequestSchema, ErrorInfoSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../../gen/google/rpc/status_pb.js";
import {
  type ErrorReason,
  FlowgateError,
  InvalidArgumentError,
  truncateText,
} from "../../domain/index.ts";
import type { Logger } from "../../logger.ts";

/** `ErrorInfo.domain` of every error flowgate sends. */
export const ERROR_DOMAIN = "flowgate.dev";

/**
 * At most this many characters of a message reach the client. Percent-encoding makes a
 * character up to 9 bytes, so message and details stay below 10 KB of trailers.
 */
export const MAX_MESSAGE_LENGTH = 512;

/** The gRPC status of each reason of the service's own errors. */
export const STATUS_BY_REASON: Readonly<Record<ErrorReason, grpc.status>> = {
  INVALID_FIELD: grpc.status.INVALID_ARGUMENT,
  INVALID_REQUEST: grpc.status.INVALID_ARGUMENT,
  FLOW_NOT_FOUND: grpc.status.NOT_FOUND,
  DEPLOYMENT_NOT_FOUND: grpc.status.NOT_FOUND,
  RUN_NOT_FOUND: grpc.status.NOT_FOUND,
  FLOW_RUN_INPUT_NOT_FOUND: grpc.status.NOT_FOUND,
  LEASE_NOT_FOUND: grpc.status.NOT_FOUND,
  CONCURRENCY_LIMIT_NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  CONCURRENT_UPDATE: grpc.status.ABORTED,
  DATABASE_UNAVAILABLE: grpc.status.UNAVAILABLE,
  ORCHESTRATION_FAILED: grpc.status.INTERNAL,
  RUN_CREATION_REFUSED: grpc.status.FAILED_PRECONDITION,
  CONCURRENCY_SLOT_RELEASE_FAILED: grpc.status.INTERNAL,
};

/** A status raised on purpose by transport code (draining, deadline, auth, admission). */
export class StatusError extends Error {
  readonly code: grpc.status;
  readonly details: string;
  /** `ErrorInfo.reason`, e.g. `TOO_MANY_CALLS_IN_FLIGHT`; the code's name when not given. */
  readonly reason: string;

  constructor(code: grpc.status, details: string, reason: string = grpc.status[code]) {
    super(details);
    this.name = "StatusError";
    this.code = code;
    this.details = details;
    this.reason = reason;
  }
}

interface Mapped {
  code: grpc.status;
  message: string;
  reason: string;
  field?: string;
}

function classify(error: unknown): Mapped | undefined {
  if (error instanceof FlowgateError) {
    const mapped: Mapped = {
      code: STATUS_BY_REASON[error.reason],
      message: error.message,
      reason: error.reason,
    };
    if (error instanceof InvalidArgumentError) mapped.field = error.field;
    return mapped;
  }
  if (error instanceof StatusError) {
    return { code: error.code, message: error.details, reason: error.reason };
  }
  return undefined;
}

/**
 * The status a client receives for `error`. An INTERNAL one (an unknown error, or one of
 * the service's own errors that is a bug) says only "internal error" and its reason; the
 * error itself goes to the log with its cause.
 */
export function toServiceError(error: unknown, log: Logger, method: string): grpc.ServiceError {
  const mapped = classify(error);
  if (mapped === undefined || mapped.code === grpc.status.INTERNAL) {
    log.error({ err: error, method }, "unhandled error");
    return serviceError({
      code: grpc.status.INTERNAL,
      message: "internal error",
      reason: mapped?.reason ?? "INTERNAL",
    });
  }
  return serviceError(mapped);
}

function serviceError(mapped: Mapped): grpc.ServiceError {
  const message = safeText(mapped.message);
  const details = [
    anyPack(
      ErrorInfoSchema,
      create(ErrorInfoSchema, { reason: mapped.reason, domain: ERROR_DOMAIN }),
    ),
  ];
  if (mapped.field !== undefined) {
    details.push(
      anyPack(
        BadRequestSchema,
        create(BadRequestSchema, {
          fieldViolations: [{ field: safeText(mapped.field), description: message }],
        }),
      ),
    );
  }
  const status = create(StatusSchema, { code: mapped.code, message, details });
  const metadata = new grpc.Metadata();
  metadata.set("grpc-status-details-bin", Buffer.from(toBinary(StatusSchema, status)));
  return Object.assign(new Error(message), { code: mapped.code, details: message, metadata });
}

/** Capped, and well-formed UTF-16 (grpc-js percent-encodes the message; a lone surrogate throws). */
function safeText(text: string): string {
  return truncateText(text, MAX_MESSAGE_LENGTH).toWellFormed();
}
