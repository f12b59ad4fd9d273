import { ConnectionException, DeadlockException, LockWaitTimeoutException } from "@mikro-orm/core";
import { describe, expect, it } from "vitest";
import { ConcurrentUpdateError, StorageUnavailableError } from "../../../src/domain/index.ts";
import { translateDatabaseError } from "../../../src/persistence/errors.ts";

const withCode = (code: string) => Object.assign(new Error("boom"), { code });

describe("translateDatabaseError", () => {
  it.each([
    [
      "serialization failure or deadlock (40001/40P01)",
      new DeadlockException(new Error("deadlock detected")),
    ],
    ["lock wait timeout", new LockWaitTimeoutException(new Error("lock timeout"))],
  ])("turns a %s into ConcurrentUpdateError (ABORTED: retry)", (_, error) => {
    expect(translateDatabaseError(error)).toBeInstanceOf(ConcurrentUpdateError);
  });

  it.each([
    ["a refused connection", withCode("ECONNREFUSED")],
    ["a reset connection", withCode("ECONNRESET")],
    ["an admin shutdown (57P01)", withCode("57P01")],
    ["too many connections (53300)", withCode("53300")],
    ["a connection exception", new ConnectionException(new Error("gone"))],
    ["a wrapped cause", new Error("query failed", { cause: withCode("ECONNREFUSED") })],
    ["a terminated connection", new Error("Connection terminated unexpectedly")],
  ])("turns %s into StorageUnavailableError (UNAVAILABLE)", (_, error) => {
    expect(translateDatabaseError(error)).toBeInstanceOf(StorageUnavailableError);
  });

  it("leaves other errors alone", () => {
    const error = withCode("23505");
    expect(translateDatabaseError(error)).toBe(error);
  });
});
