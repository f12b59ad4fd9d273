/** A fresh database per test file, created on the run's PostgreSQL and dropped afterwards. */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

export interface TestDatabase {
  readonly url: string;
  /** Runs one SQL query on the test database. */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    values?: unknown[],
  ): Promise<T[]>;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject("adminDatabaseUrl");
  const name = `${inject("testDatabasePrefix")}${randomBytes(6).toString("hex")}`;
  await withClient(adminUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  return {
    url: url.toString(),
    async query(sql, values) {
      return (await pool.query(sql, values)).rows;
    },
    async drop() {
      await pool.end();
      // A closed pool's connections may still be ending; terminating them (WITH FORCE) would
      // raise in their clients. Wait a little for them to go; whatever is left is dropped by
      // the global teardown, once every test worker has exited.
      for (let attempt = 0; attempt < 20; attempt++) {
        const dropped = await withClient(adminUrl, (client) =>
          client.query(`drop database if exists ${name}`).then(
            () => true,
            () => false,
          ),
        );
        if (dropped) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
