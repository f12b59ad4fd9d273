/**
 * Chooses the PostgreSQL the integration and e2e tests use: DATABASE_URL when set (CI and
 * development machines), otherwise an embedded PostgreSQL started for this run. Each test
 * file then creates its own database on it (support/database.ts), so files never share rows.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { createLogger } from "../src/logger.ts";
import {
  type EmbeddedPostgres,
  startEmbeddedPostgres,
} from "../src/persistence/embedded-postgres.ts";

declare module "vitest" {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}

let embedded: EmbeddedPostgres | undefined;
let dataDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  let url = process.env.DATABASE_URL;
  if (url === undefined || url === "") {
    dataDir = mkdtempSync(path.join(tmpdir(), "flowgate-test-"));
    chmodSync(dataDir, 0o755); // as root, PostgreSQL runs as the postgres user and must enter it
    embedded = await startEmbeddedPostgres(dataDir, createLogger("warn"));
    url = embedded.url;
  }
  project.provide("adminDatabaseUrl", url);
}

export async function teardown(): Promise<void> {
  await embedded?.stop();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
}
