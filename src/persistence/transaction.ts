/**
 * One orchestration's unit of work: a forked EntityManager in one database transaction.
 * It commits when `work` resolves, unless the caller gave up meanwhile (deadline or
 * cancellation: nothing of a call the client no longer waits for may commit) or asked for a
 * dry run (rolled back, yet the result is returned).
 *
 * A caller that gives up is answered at once, even while its transaction still waits for a
 * pooled connection or for the database: the call's admission slot must not wait on a
 * database that may not answer. The transaction itself runs on unobserved and rolls back
 * (or, if it has not started yet, starts and rolls back straight away).
 */
import type { EntityManager, MikroORM } from "@mikro-orm/postgresql";
import type { TransactionOptions } from "../application/flow-run-store.ts";
import { translatingErrors } from "./errors.ts";

/** Thrown inside the transaction to roll it back while keeping the result. */
class DryRunRollback<T> extends Error {
  readonly result: T;
  constructor(result: T) {
    super("dry run: rolled back");
    this.result = result;
  }
}

export async function runTransaction<T>(
  orm: MikroORM,
  work: (em: EntityManager) => Promise<T>,
  options: TransactionOptions,
): Promise<T> {
  const { signal } = options;
  signal?.throwIfAborted();
  const transaction = translatingErrors(() =>
    orm.em.fork().transactional(async (em) => {
      // The caller may have given up while this waited for its connection.
      signal?.throwIfAborted();
      const result = await work(em);
      signal?.throwIfAborted();
      if (options.rollback) throw new DryRunRollback(result);
      return result;
    }),
  );
  try {
    return await (signal === undefined ? transaction : settledOrAborted(transaction, signal));
  } catch (error) {
    if (error instanceof DryRunRollback) return error.result as T;
    throw error;
  }
}

/** Settles as `promise` does, or rejects with the signal's reason as soon as it aborts. */
function settledOrAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
