import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import {
  AlreadyExistsError,
  ConcurrentUpdateError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  StorageUnavailableError,
} from "../../../src/domain/index.ts";
import { createLogger } from "../../../src/logger.ts";
import { toServiceError } from "../../../src/transport/grpc/errors.ts";

const log = createLogger("silent");

describe("toServiceError", () => {
  it.each([
    [new InvalidArgumentError("flow_run_id", "bad"), grpc.status.INVALID_ARGUMENT],
    [new NotFoundError("flow run", "x"), grpc.status.NOT_FOUND],
    [new AlreadyExistsError("taken"), grpc.status.ALREADY_EXISTS],
    [new FailedPreconditionError("no"), grpc.status.FAILED_PRECONDITION],
    [new ConcurrentUpdateError("race"), grpc.status.ABORTED],
    [new StorageUnavailableError("down"), grpc.status.UNAVAILABLE],
  ])("maps %s to its status", (error, code) => {
    expect(toServiceError(error, log, "/m").code).toBe(code);
  });

  it("hides unknown errors behind a generic INTERNAL", () => {
    const status = toServiceError(new Error("secret internals at /srv/db"), log, "/m");
    expect(status.code).toBe(grpc.status.INTERNAL);
    expect(status.details).toBe("internal error");
  });

  it("attaches google.rpc.Status details with the field path", () => {
    const status = toServiceError(new InvalidArgumentError("state.type", "is required"), log, "/m");
    expect(status.metadata?.get("grpc-status-details-bin")).toHaveLength(1);
  });
});
