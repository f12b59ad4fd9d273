/**
 * Chooses the PostgreSQL the integration and e2e tests use: DATABASE_URL when set (CI and
 * development machines), otherwise an embedded PostgreSQL started for this run. Each test
 * file then creates its own database on it (support/database.ts), so files never share rows.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { createLogger } from "../src/logger.ts";
import {
  type EmbeddedPostgres,
  startEmbeddedPostgres,
} from "../src/persistence/embedded-postgres.ts";

declare module "vitest" {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
    /** Test databases of this run are named with this prefix (support/database.ts). */
    testDatabasePrefix: string;
  }
}

let embedded: EmbeddedPostgres | undefined;
let dataDir: string | undefined;
let adminUrl: string | undefined;
const prefix = `flowgate_test_${randomBytes(3).toString("hex")}_`;

export async function setup(project: TestProject): Promise<void> {
  let url = process.env.DATABASE_URL;
  if (url === undefined || url === "") {
    dataDir = mkdtempSync(path.join(tmpdir(), "flowgate-test-"));
    chmodSync(dataDir, 0o755); // as root, PostgreSQL runs as the postgres user and must enter it
    embedded = await startEmbeddedPostgres(dataDir, createLogger("warn"));
    url = embedded.url;
  }
  adminUrl = url;
  project.provide("adminDatabaseUrl", url);
  project.provide("testDatabasePrefix", prefix);
}

export async function teardown(): Promise<void> {
  if (adminUrl !== undefined && embedded === undefined) await dropLeftovers(adminUrl);
  await embedded?.stop();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
}

/** Test databases a file could not drop itself (connections still closing): no worker is left now. */
async function dropLeftovers(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      "select datname from pg_database where datname like $1",
      [`${prefix}%`],
    );
    for (const { datname } of rows)
      await client.query(`drop database if exists ${datname} with (force)`);
  } finally {
    await client.end();
  }
}
