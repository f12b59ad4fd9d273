/**
 * Opens the database: an external PostgreSQL (`DATABASE_URL`) or the embedded one, a
 * MikroORM instance over it, and the committed migrations applied.
 *
 * The pool is built to survive the database failing: a connection that dies is destroyed
 * and replaced (pool.ts), and waiting for a connection is bounded, so that a call fails
 * with UNAVAILABLE instead of waiting for ever on a database that does not answer.
 */
import path from "node:path";
import { Migrator } from "@mikro-orm/migrations";
import { MikroORM, type Options, PostgreSqlDriver } from "@mikro-orm/postgresql";
import type pg from "pg";
import type { PoolStats } from "../application/metrics-source.ts";
import { DEFAULT_DB_ACQUIRE_TIMEOUT_MS } from "../config.ts";
import type { Logger } from "../logger.ts";
import { startEmbeddedPostgres } from "./embedded-postgres.ts";
import { entities } from "./entities/index.ts";
import { applyMigrations } from "./migrate.ts";
import { destroyDeadConnections, poolStats } from "./pool.ts";

export interface Database {
  readonly orm: MikroORM;
  /** The connection URL in use (external or embedded). */
  readonly url: string;
  /**
   * Resolves when the database answers a trivial query; rejects otherwise, and as soon as
   * `signal` aborts (waiting for a connection included).
   */
  ping(signal: AbortSignal): Promise<void>;
  /** The pool's connections right now. */
  pool(): PoolStats;
  /** Closes the pool, then stops the embedded PostgreSQL if one was started. */
  close(): Promise<void>;
}

export interface PoolOptions {
  /** Connections in the pool. */
  readonly poolSize?: number;
  /** How long a caller waits for a pooled connection (and a new one to connect). */
  readonly acquireTimeoutMs?: number;
}

export interface DatabaseOptions extends PoolOptions {
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
}

export function ormOptions(
  clientUrl: string,
  { poolSize = 10, acquireTimeoutMs = DEFAULT_DB_ACQUIRE_TIMEOUT_MS }: PoolOptions = {},
): Options {
  return {
    driver: PostgreSqlDriver,
    clientUrl,
    entities,
    extensions: [Migrator],
    pool: { min: 0, max: poolSize },
    // Merged into the options of MikroORM's `pg.Pool`; `onPoolCreated` receives that pool.
    driverOptions: {
      // Bounds both the wait for a free connection and the connecting of a new one.
      connectionTimeoutMillis: acquireTimeoutMs,
      onPoolCreated: destroyDeadConnections,
    },
    // One forked EntityManager per call: the global one must never hold request state.
    allowGlobalContext: false,
    migrations: {
      path: path.join(import.meta.dirname, "migrations"),
      glob: "Migration*.ts",
      emit: "ts",
      snapshotName: "schema-snapshot",
      silent: true,
    },
  };
}

export async function openDatabase(options: DatabaseOptions, log: Logger): Promise<Database> {
  const embedded =
    options.databaseUrl === undefined
      ? await startEmbeddedPostgres(options.dataDir, log)
      : undefined;
  try {
    const url = options.databaseUrl ?? embedded!.url;
    const orm = await MikroORM.init(ormOptions(url, options));
    await applyMigrations(orm, url, log);
    const pool: pg.Pool = await orm.driver.getConnection().getNativeClient();
    return {
      orm,
      url,
      async ping(signal) {
        await orm.em.fork().execute("select 1", [], { signal });
      },
      pool: () => poolStats(pool),
      async close() {
        await orm.close(true);
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
