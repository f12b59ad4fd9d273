/**
 * Turns driver errors into the domain's errors, so that layers above persistence never see
 * MikroORM or pg types:
 *
 * - a lost race (deadlock, serialization failure, lock timeout) → ConcurrentUpdateError
 *   (ABORTED: retry the call);
 * - a taken unique key → AlreadyExistsError naming the key (ALREADY_EXISTS);
 * - a value PostgreSQL refuses (SQLSTATE class 22 "data exception", e.g. NUL in text; class
 *   54 "program limit exceeded"; 08P01 "protocol violation") → InvalidRequestError
 *   (INVALID_ARGUMENT): the same request fails the same way again, so clients must not retry;
 * - an unreachable database → StorageUnavailableError (UNAVAILABLE: retry).
 *
 * 08P01 is class 08 "connection exception" by number, but it is no outage: PostgreSQL
 * refuses a message it cannot parse, and what flowgate sends only becomes unparsable through
 * what a request carries (measured: MikroORM writes a NUL character of a name into the
 * statement text, and PostgreSQL reads the text up to that NUL: "invalid message format";
 * too many bind parameters are the other known cause). Answering UNAVAILABLE made clients
 * retry forever; INVALID_ARGUMENT tells them to change the request.
 */
import {
  ConnectionException,
  DeadlockException,
  LockWaitTimeoutException,
  UniqueConstraintViolationException,
} from "@mikro-orm/core";
import {
  AlreadyExistsError,
  ConcurrentUpdateError,
  InvalidRequestError,
  QUOTED_VALUE_LENGTH,
  StorageUnavailableError,
  truncateText,
} from "../domain/index.ts";

// Node socket errors and PostgreSQL classes 08 (connection), 53 (resources), 57P (shutdown).
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
]);
const UNAVAILABLE_SQLSTATE = /^(08|53|57P)/;
const UNAVAILABLE_MESSAGES =
  /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i;
/** PostgreSQL refused the request's data: data exceptions, program limits, protocol violation. */
const REFUSED_DATA_SQLSTATE = /^(22[0-9A-Z]{3}|54[0-9A-Z]{3}|08P01)$/;

/** The domain error for what a database call threw, or the error itself when it is no known fault. */
export function translateDatabaseError(error: unknown): unknown {
  if (error instanceof DeadlockException || error instanceof LockWaitTimeoutException) {
    return new ConcurrentUpdateError("the transaction lost a race with a concurrent one; retry", {
      cause: error,
    });
  }
  if (error instanceof UniqueConstraintViolationException) {
    return new AlreadyExistsError(alreadyExistsMessage(error), { cause: error });
  }
  const refused = findInChain(error, (e) => REFUSED_DATA_SQLSTATE.test(codeOf(e) ?? ""));
  if (refused !== undefined) {
    return new InvalidRequestError(refusedDataMessage(refused), { cause: error });
  }
  if (findInChain(error, isUnavailable) !== undefined) {
    return new StorageUnavailableError("the database is unavailable", { cause: error });
  }
  return error;
}

/** Runs a database operation and translates what it throws. */
export async function translatingErrors<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw translateDatabaseError(error);
  }
}

function isUnavailable(error: Error): boolean {
  if (error instanceof ConnectionException) return true;
  const code = codeOf(error);
  if (code !== undefined && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code)))
    return true;
  return UNAVAILABLE_MESSAGES.test(error.message);
}

/** The first error along `error`'s cause chain that satisfies `test`. */
function findInChain(error: unknown, test: (error: Error) => boolean): Error | undefined {
  for (let depth = 0; error instanceof Error && depth < 10; depth++) {
    if (test(error)) return error;
    error = error.cause;
  }
  return undefined;
}

function codeOf(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** The first line of PostgreSQL's message (MikroORM appends the detail on further lines). */
function firstLine(error: Error): string {
  return truncateText(error.message.split("\n", 1)[0] ?? "", 2 * QUOTED_VALUE_LENGTH);
}

function refusedDataMessage(error: Error): string {
  const code = codeOf(error);
  if (code === "08P01") {
    return "the database refused the statement for this request as malformed (SQLSTATE 08P01: a NUL character in text, or more data than one statement carries); retrying cannot succeed";
  }
  return `the database refused a value of this request (SQLSTATE ${code}: ${firstLine(error)})`;
}

/**
 * "deployment with (flow_id, name)=(…, prod) already exists", from PostgreSQL's table and
 * detail ("Key (flow_id, name)=(…, prod) already exists."), the values shortened.
 */
function alreadyExistsMessage(error: UniqueConstraintViolationException): string {
  const { table, detail } = error as { table?: unknown; detail?: unknown };
  const entity = typeof table === "string" ? table.replaceAll("_", " ") : "an entity";
  const key =
    typeof detail === "string" ? /^Key (\(.*\)=\(.*\)) already exists/s.exec(detail) : null;
  if (key?.[1] === undefined) return `${entity} already exists`;
  return `${entity} with ${truncateText(key[1], 2 * QUOTED_VALUE_LENGTH)} already exists`;
}
