import {
  ConnectionException,
  DeadlockException,
  DriverException,
  LockWaitTimeoutException,
  UniqueConstraintViolationException,
} from "@mikro-orm/core";
import { describe, expect, it } from "vitest";
import {
  AlreadyExistsError,
  ConcurrentUpdateError,
  InvalidRequestError,
  StorageUnavailableError,
} from "../../../src/domain/index.ts";
import { translateDatabaseError } from "../../../src/persistence/errors.ts";

const withCode = (code: string, message = "boom") => Object.assign(new Error(message), { code });

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
    ["a broken pipe", withCode("EPIPE")],
    ["a lost connection (08006)", withCode("08006")],
    ["an admin shutdown (57P01)", withCode("57P01")],
    ["too many connections (53300)", withCode("53300")],
    ["a connection exception", new ConnectionException(new Error("gone"))],
    ["a wrapped cause", new Error("query failed", { cause: withCode("ECONNREFUSED") })],
    ["a terminated connection", new Error("Connection terminated unexpectedly")],
  ])("turns %s into StorageUnavailableError (UNAVAILABLE)", (_, error) => {
    expect(translateDatabaseError(error)).toBeInstanceOf(StorageUnavailableError);
  });

  it("regression: a unique violation is AlreadyExistsError naming the taken key, not INTERNAL", () => {
    const pgError = Object.assign(
      new Error('duplicate key value violates unique constraint "deployment_flow_id_name_unique"'),
      {
        code: "23505",
        table: "deployment",
        constraint: "deployment_flow_id_name_unique",
        detail: "Key (flow_id, name)=(2aebb48a-a1f8-4692-b71e-e9123914f7e8, prod) already exists.",
      },
    );
    const translated = translateDatabaseError(new UniqueConstraintViolationException(pgError));
    expect(translated).toBeInstanceOf(AlreadyExistsError);
    expect((translated as Error).message).toBe(
      "deployment with (flow_id, name)=(2aebb48a-a1f8-4692-b71e-e9123914f7e8, prod) already exists",
    );
  });

  it("shortens a huge key in the AlreadyExists message", () => {
    const pgError = Object.assign(new Error("duplicate key"), {
      code: "23505",
      table: "flow",
      detail: `Key (name)=(${"n".repeat(100_000)}) already exists.`,
    });
    const translated = translateDatabaseError(new UniqueConstraintViolationException(pgError));
    expect((translated as Error).message.length).toBeLessThan(200);
  });

  it.each([
    [
      "regression: 08P01 protocol violation (a NUL in statement text)",
      withCode("08P01", "invalid message format"),
    ],
    [
      "regression: 22021 NUL in a text parameter",
      withCode("22021", 'invalid byte sequence for encoding "UTF8": 0x00'),
    ],
    [
      "regression: 22P05 \\u0000 in jsonb",
      new DriverException(
        withCode(
          "22P05",
          "unsupported Unicode escape sequence\n - detail: \\u0000 cannot be converted to text.",
        ),
      ),
    ],
    [
      "22001 a value too long for its column",
      withCode("22001", "value too long for type character varying(255)"),
    ],
    ["54000 an index row too large", withCode("54000", "index row size 3000 exceeds maximum 2712")],
    [
      "a wrapped 08P01",
      new Error("query failed", { cause: withCode("08P01", "invalid message format") }),
    ],
  ])(
    "turns %s into InvalidRequestError (INVALID_ARGUMENT: never retried), not UNAVAILABLE",
    (_, error) => {
      const translated = translateDatabaseError(error);
      expect(translated).toBeInstanceOf(InvalidRequestError);
      expect((translated as Error).message).toMatch(/^the database refused/);
    },
  );

  it("quotes PostgreSQL's first line for a refused value", () => {
    const translated = translateDatabaseError(
      withCode("22021", 'invalid byte sequence for encoding "UTF8": 0x00'),
    );
    expect((translated as Error).message).toBe(
      'the database refused a value of this request (SQLSTATE 22021: invalid byte sequence for encoding "UTF8": 0x00)',
    );
  });

  it("leaves other errors alone", () => {
    const error = withCode("42601");
    expect(translateDatabaseError(error)).toBe(error);
  });
});
