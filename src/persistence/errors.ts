/**
 * Turns driver errors into the domain's service errors, so that layers above persistence
 * never see MikroORM or pg types: a lost race becomes ConcurrentUpdateError (ABORTED, retry
 * the call), an unreachable database StorageUnavailableError (UNAVAILABLE).
 */
import { ConnectionException, DeadlockException, LockWaitTimeoutException } from "@mikro-orm/core";
import { ConcurrentUpdateError, StorageUnavailableError } from "../domain/service-errors.ts";

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

export function translateDatabaseError(error: unknown): unknown {
  if (error instanceof DeadlockException || error instanceof LockWaitTimeoutException) {
    return new ConcurrentUpdateError("the transaction lost a race with a concurrent one; retry", {
      cause: error,
    });
  }
  if (isUnavailable(error)) {
    return new StorageUnavailableError("the database is unavailable", { cause: error });
  }
  return error;
}

function isUnavailable(error: unknown): boolean {
  if (error instanceof ConnectionException) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code)))
    return true;
  if (UNAVAILABLE_MESSAGES.test(error.message)) return true;
  return error.cause !== undefined && error.cause !== error && isUnavailable(error.cause);
}

/** Runs a database operation and translates what it throws. */
export async function translatingErrors<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw translateDatabaseError(error);
  }
}
