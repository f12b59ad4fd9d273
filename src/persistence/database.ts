/**
 * Opens the database: an external PostgreSQL (`DATABASE_URL`) or the embedded one, a
 * MikroORM instance over it, and the committed migrations applied.
 */
import path from "node:path";
import { Migrator } from "@mikro-orm/migrations";
import { MikroORM, type Options, PostgreSqlDriver } from "@mikro-orm/postgresql";
import type { Logger } from "../logger.ts";
import { startEmbeddedPostgres } from "./embedded-postgres.ts";
import { entities } from "./entities/index.ts";
import { applyMigrations } from "./migrate.ts";

export interface Database {
  readonly orm: MikroORM;
  /** The connection URL in use (external or embedded). */
  readonly url: string;
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  /** Closes the pool, then stops the embedded PostgreSQL if one was started. */
  close(): Promise<void>;
}

export interface DatabaseOptions {
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** Connections in the pool. */
  readonly poolSize?: number;
}

export function ormOptions(clientUrl: string, poolSize = 10): Options {
  return {
    driver: PostgreSqlDriver,
    clientUrl,
    entities,
    extensions: [Migrator],
    pool: { min: 0, max: poolSize },
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
    const orm = await MikroORM.init(ormOptions(url, options.poolSize));
    await applyMigrations(orm, url, log);
    return {
      orm,
      url,
      async ping() {
        await orm.em.fork().execute("select 1");
      },
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
