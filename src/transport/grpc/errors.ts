/**
 * The one place where errors become gRPC statuses, for both servers (grpc-js, and Connect /
 * gRPC-Web through connect-es). The service's own errors ({@link FlowgateError}) map by their
 * reason through {@link STATUS_BY_REASON}; a status the transport raises on purpose
 * ({@link StatusError}: auth, admission, a cancelled call) keeps its code. Both go out with
 * the same details (in `grpc-status-details-bin` on gRPC, in the error body on Connect): an
 * ErrorInfo (`reason`, domain `flowgate.dev`) and, for a bad field, a BadRequest with its
 * path. Anything else is a bug: INTERNAL with a generic message, the real error logged with
 * its cause, never sent to the client.
 *
 * Messages are capped ({@link MAX_MESSAGE_LENGTH}): the message travels twice in the
 * trailers (`grpc-message`, percent-encoded, and inside the details), and trailers beyond
 * HTTP/2's header-list limit make the client see INTERNAL "Protocol error" instead.
 */
import { create, type DescMessage, type Message, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { type Code, ConnectError } from "@connectrpc/connect";
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

/** The status a call ends with, before it is written in a protocol's form. */
export interface RpcStatus {
  readonly code: grpc.status;
  readonly message: string;
  /** `ErrorInfo.reason`. */
  readonly reason: string;
  /** The bad field's path, for a BadRequest. */
  readonly field?: string | undefined;
}

function classify(error: unknown): RpcStatus | undefined {
  if (error instanceof FlowgateError) {
    return {
      code: STATUS_BY_REASON[error.reason],
      message: error.message,
      reason: error.reason,
      field: error instanceof InvalidArgumentError ? error.field : undefined,
    };
  }
  if (error instanceof StatusError) {
    return { code: error.code, message: error.details, reason: error.reason };
  }
  return undefined;
}

/**
 * The status a client receives for `error` (what metrics, logs and traces record). An
 * INTERNAL one (an unknown error, or one of the service's own errors that is a bug) says
 * only "internal error" and its reason.
 */
export function statusOf(error: unknown): RpcStatus {
  const mapped = classify(error);
  if (mapped === undefined || mapped.code === grpc.status.INTERNAL) {
    return {
      code: grpc.status.INTERNAL,
      message: "internal error",
      reason: mapped?.reason ?? "INTERNAL",
    };
  }
  return mapped;
}

/** {@link statusOf}, logging an INTERNAL error itself with its cause (it is never sent). */
function answerFor(error: unknown, log: Logger, method: string): RpcStatus {
  const status = statusOf(error);
  if (status.code === grpc.status.INTERNAL) log.error({ err: error, method }, "unhandled error");
  return status;
}

/** The status of `error` as grpc-js sends it, details in `grpc-status-details-bin`. */
export function toServiceError(error: unknown, log: Logger, method: string): grpc.ServiceError {
  const { code, message, details } = wireStatus(answerFor(error, log, method));
  const status = create(StatusSchema, {
    code,
    message,
    details: details.map((detail) => anyPack(detail.desc, detail.value)),
  });
  const metadata = new grpc.Metadata();
  metadata.set("grpc-status-details-bin", Buffer.from(toBinary(StatusSchema, status)));
  return Object.assign(new Error(message), { code, details: message, metadata });
}

/** The status of `error` as connect-es sends it (Connect and gRPC-Web), with the same details. */
export function toConnectError(error: unknown, log: Logger, method: string): ConnectError {
  const { code, message, details } = wireStatus(answerFor(error, log, method));
  // gRPC and Connect number their codes alike.
  return new ConnectError(message, code as number as Code, undefined, details);
}

type Detail = { desc: DescMessage; value: Message };

/** Message and details as they go on the wire: an ErrorInfo, and a BadRequest for a bad field. */
function wireStatus(status: RpcStatus): { code: grpc.status; message: string; details: Detail[] } {
  const message = safeText(status.message);
  const details: Detail[] = [
    {
      desc: ErrorInfoSchema,
      value: create(ErrorInfoSchema, { reason: status.reason, domain: ERROR_DOMAIN }),
    },
  ];
  if (status.field !== undefined) {
    details.push({
      desc: BadRequestSchema,
      value: create(BadRequestSchema, {
        fieldViolations: [{ field: safeText(status.field), description: message }],
      }),
    });
  }
  return { code: status.code, message, details };
}

/** Capped, and well-formed UTF-16 (grpc-js percent-encodes the message; a lone surrogate throws). */
function safeText(text: string): string {
  return truncateText(text, MAX_MESSAGE_LENGTH).toWellFormed();
}
