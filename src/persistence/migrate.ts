/**
 * Applies the committed migrations, one process at a time. Replicas start together (the
 * Kubernetes manifests start 3 at once) and each applies pending migrations at start; without
 * mutual exclusion they all created the same tables and all but one died ("relation flow
 * already exists"). A session-level advisory lock held around `migrator.up()` serialises
 * them: the first applies, the others wait for it and then find nothing pending.
 *
 * The lock lives on a dedicated connection: a session lock belongs to one connection, and the
 * migrator runs on the ORM's pool. If this process dies while migrating, its connection closes
 * and PostgreSQL releases the lock; the migrations run in one transaction, so the next process
 * finds them all applied or none.
 */
import type { MikroORM } from "@mikro-orm/postgresql";
import pg from "pg";
import type { Logger } from "../logger.ts";
import { ADVISORY_LOCK_NAMESPACE } from "./advisory-locks.ts";

/** Second half of the migration lock's key ("migr" in ASCII), apart from the loops' small keys. */
export const MIGRATIONS_LOCK_KEY = 0x6d696772;

/**
 * Applies the pending migrations while holding the migration lock, waiting for another
 * process that holds it, and logs what it applied.
 * @returns the names of the migrations applied, in order (empty: nothing was pending).
 */
export async function applyMigrations(orm: MikroORM, url: string, log: Logger): Promise<string[]> {
  const session = new pg.Client({ connectionString: url, application_name: "flowgate-migrations" });
  session.on("error", (error) => log.warn({ err: error }, "migration lock connection lost"));
  await session.connect();
  try {
    await lockMigrations(session, log);
    const applied = (await orm.migrator.up()).map((migration) => migration.name);
    log.info(
      { migrations: applied },
      applied.length === 0
        ? "migrations: nothing to apply"
        : `migrations: applied ${applied.join(", ")}`,
    );
    return applied;
  } finally {
    // Ending the session releases the lock.
    await session.end().catch(() => undefined);
  }
}

async function lockMigrations(session: pg.Client, log: Logger): Promise<void> {
  const key = [ADVISORY_LOCK_NAMESPACE, MIGRATIONS_LOCK_KEY];
  const tried = await session.query<{ acquired: boolean }>(
    "select pg_try_advisory_lock($1, $2) as acquired",
    key,
  );
  if (tried.rows[0]?.acquired === true) return;
  log.info("another process is applying migrations; waiting for it");
  await session.query("select pg_advisory_lock($1, $2)", key);
}
