import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { BadRequestSchema, ErrorInfoSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../../gen/google/rpc/status_pb.js";
import {
  AlreadyExistsError,
  ConcurrencySlotReleaseError,
  ConcurrentUpdateError,
  InvalidArgumentError,
  InvalidRequestError,
  NotFoundError,
  OrchestrationError,
  RunNotFoundError,
  StorageUnavailableError,
  TaskRunFlowRunNotFoundError,
} from "../../../src/domain/index.ts";
import { createLogger } from "../../../src/logger.ts";
import {
  MAX_MESSAGE_LENGTH,
  StatusError,
  toServiceError,
} from "../../../src/transport/grpc/errors.ts";

const log = createLogger("silent");

/** The google.rpc.Status a client decodes from the trailers. */
function statusDetails(error: grpc.ServiceError) {
  const [bytes] = error.metadata?.get("grpc-status-details-bin") ?? [];
  const status = fromBinary(StatusSchema, bytes as Buffer);
  const [info, badRequest] = status.details;
  return {
    status,
    info: info && anyUnpack(info, ErrorInfoSchema),
    badRequest: badRequest && anyUnpack(badRequest, BadRequestSchema),
  };
}

describe("toServiceError", () => {
  it.each([
    [new InvalidArgumentError("flow_run_id", "bad"), grpc.status.INVALID_ARGUMENT, "INVALID_FIELD"],
    [new InvalidRequestError("malformed"), grpc.status.INVALID_ARGUMENT, "INVALID_REQUEST"],
    [new NotFoundError("flow", "x"), grpc.status.NOT_FOUND, "FLOW_NOT_FOUND"],
    [new NotFoundError("deployment", "x"), grpc.status.NOT_FOUND, "DEPLOYMENT_NOT_FOUND"],
    [new NotFoundError("lease", "x"), grpc.status.NOT_FOUND, "LEASE_NOT_FOUND"],
    [
      new NotFoundError("concurrency limit", "x"),
      grpc.status.NOT_FOUND,
      "CONCURRENCY_LIMIT_NOT_FOUND",
    ],
    [new NotFoundError("flow run input", "x"), grpc.status.NOT_FOUND, "FLOW_RUN_INPUT_NOT_FOUND"],
    [new RunNotFoundError("flow_run", "x"), grpc.status.NOT_FOUND, "RUN_NOT_FOUND"],
    [new RunNotFoundError("task_run", "x"), grpc.status.NOT_FOUND, "RUN_NOT_FOUND"],
    [new TaskRunFlowRunNotFoundError("t", "f"), grpc.status.NOT_FOUND, "RUN_NOT_FOUND"],
    [new AlreadyExistsError("taken"), grpc.status.ALREADY_EXISTS, "ALREADY_EXISTS"],
    [new ConcurrentUpdateError("race"), grpc.status.ABORTED, "CONCURRENT_UPDATE"],
    [new StorageUnavailableError("down"), grpc.status.UNAVAILABLE, "DATABASE_UNAVAILABLE"],
    [
      new StatusError(grpc.status.RESOURCE_EXHAUSTED, "busy", "TOO_MANY_CALLS_IN_FLIGHT"),
      grpc.status.RESOURCE_EXHAUSTED,
      "TOO_MANY_CALLS_IN_FLIGHT",
    ],
  ])("maps %s to its status and ErrorInfo reason", (error, code, reason) => {
    const status = toServiceError(error, log, "/m");
    expect(status.code).toBe(code);
    const { info } = statusDetails(status);
    expect(info).toMatchObject({ reason, domain: "flowgate.dev" });
  });

  it("keeps the spec's message for a missing run", () => {
    const status = toServiceError(new RunNotFoundError("flow_run", "r-1"), log, "/m");
    expect(status.details).toBe("Flow run with id r-1 not found");
  });

  it("hides unknown errors behind a generic INTERNAL", () => {
    const status = toServiceError(new Error("secret internals at /srv/db"), log, "/m");
    expect(status.code).toBe(grpc.status.INTERNAL);
    expect(status.details).toBe("internal error");
    expect(statusDetails(status).info?.reason).toBe("INTERNAL");
  });

  it.each([
    [new OrchestrationError("rule misused the engine at /srv"), "ORCHESTRATION_FAILED"],
    [new ConcurrencySlotReleaseError("limit row gone"), "CONCURRENCY_SLOT_RELEASE_FAILED"],
  ])(
    "answers a bug of its own (%s) INTERNAL with its reason and a generic message",
    (error, reason) => {
      const status = toServiceError(error, log, "/m");
      expect(status.code).toBe(grpc.status.INTERNAL);
      expect(status.details).toBe("internal error");
      expect(statusDetails(status).info?.reason).toBe(reason);
    },
  );

  it("attaches a BadRequest with the field path", () => {
    const status = toServiceError(new InvalidArgumentError("state.type", "is required"), log, "/m");
    const { status: decoded, badRequest } = statusDetails(status);
    expect(decoded.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(badRequest?.fieldViolations).toEqual([
      expect.objectContaining({ field: "state.type", description: "state.type: is required" }),
    ]);
  });

  it("regression: a 1 MB message is capped so the trailers stay small (no client-side 'Protocol error')", () => {
    const status = toServiceError(new InvalidArgumentError("name", "x".repeat(1 << 20)), log, "/m");
    expect(status.details.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH + 1);
    const { status: decoded, badRequest } = statusDetails(status);
    expect(decoded.message).toBe(status.details);
    expect(badRequest?.fieldViolations[0]?.description).toBe(status.details);
    const [bytes] = status.metadata?.get("grpc-status-details-bin") ?? [];
    expect((bytes as Buffer).length).toBeLessThan(4096);
  });

  it("never cuts a surrogate pair (grpc-js percent-encodes the message; a lone surrogate throws)", () => {
    const text = `${"a".repeat(MAX_MESSAGE_LENGTH - 1)}😀😀`;
    const status = toServiceError(new InvalidRequestError(text), log, "/m");
    expect(() => encodeURI(status.details)).not.toThrow();
  });
});
