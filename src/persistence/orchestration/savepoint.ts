/**
 * Savepoints inside the transition's transaction. A statement that fails, or an all-or-
 * nothing update that only half succeeded, is rolled back to the savepoint so that the rest
 * of the transition (cleanup hooks, the event) can still run in a healthy transaction.
 */
import type { EntityManager } from "@mikro-orm/postgresql";

let counter = 0;

/** Runs `work` in a savepoint; rolls back to it when `work` throws or returns `rollback: true`. */
export async function inSavepoint<T>(
  em: EntityManager,
  work: () => Promise<{ value: T; rollback?: boolean }>,
): Promise<T> {
  const name = `flowgate_sp_${++counter}`;
  await em.execute(`savepoint ${name}`);
  let outcome: { value: T; rollback?: boolean };
  try {
    outcome = await work();
  } catch (error) {
    await em.execute(`rollback to savepoint ${name}`);
    throw error;
  }
  await em.execute(
    outcome.rollback ? `rollback to savepoint ${name}` : `release savepoint ${name}`,
  );
  return outcome.value;
}

/**
 * Runs one statement inside a savepoint in a single round trip (`savepoint; stmt; release`
 * as one simple-protocol query). On failure the transaction is rolled back to the savepoint
 * and the error rethrown.
 */
export async function statementInSavepoint(
  em: EntityManager,
  sql: string,
  params: unknown[],
): Promise<void> {
  const name = `flowgate_sp_${++counter}`;
  try {
    await em.execute(`savepoint ${name}; ${sql}; release savepoint ${name}`, params, "run");
  } catch (error) {
    await em.execute(`rollback to savepoint ${name}`);
    throw error;
  }
}
