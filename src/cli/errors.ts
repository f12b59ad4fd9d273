/**
 * Errors as the CLI prints them: one line with the gRPC status and, for a bad request, the
 * field it names (from the `google.rpc.BadRequest` detail flowgate attaches).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";

/** `InvalidArgument` → `INVALID_ARGUMENT`, the name grpcurl and the gRPC docs use. */
export function statusName(code: Code): string {
  return (Code[code] ?? String(code)).replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** `INVALID_ARGUMENT flow_run_id: must be a valid UUID`, `UNAVAILABLE …`, on one line. */
export function describeCallError(error: ConnectError): string {
  const field = error.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field;
  const message = error.rawMessage.replace(/\s+/g, " ").trim();
  const fieldText = field === undefined || message.startsWith(`${field}:`) ? "" : `${field}: `;
  return `${statusName(error.code)} ${fieldText}${message}`;
}

/** Whether `error` came from a call (as opposed to a bug or a local failure). */
export function isCallError(error: unknown): error is ConnectError {
  return error instanceof ConnectError;
}
