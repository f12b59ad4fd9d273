/**
 * One orchestration's unit of work: a forked EntityManager in one database transaction.
 * It commits when `work` resolves, unless the caller gave up meanwhile (deadline or
 * cancellation: nothing of a call the client no longer waits for may commit) or asked for a
 * dry run (rolled back, yet the result is returned).
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

let inFlight = 0;

/** Orchestration transactions open right now (each holds one pooled connection). */
export function transactionsInFlight(): number {
  return inFlight;
}

export async function runTransaction<T>(
  orm: MikroORM,
  work: (em: EntityManager) => Promise<T>,
  options: TransactionOptions,
): Promise<T> {
  inFlight++;
  try {
    return await translatingErrors(() =>
      orm.em.fork().transactional(async (em) => {
        const result = await work(em);
        options.signal?.throwIfAborted();
        if (options.rollback) throw new DryRunRollback(result);
        return result;
      }),
    );
  } catch (error) {
    if (error instanceof DryRunRollback) return error.result as T;
    throw error;
  } finally {
    inFlight--;
  }
}
