/**
 * With the database gone, calls answer UNAVAILABLE instead of INTERNAL, and the server keeps
 * serving. Uses its own embedded PostgreSQL so that it can stop it.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { FlowService } from "../../gen/flowgate/v1/flow_pb.js";
import { type App, startApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import {
  type EmbeddedPostgres,
  startEmbeddedPostgres,
} from "../../src/persistence/embedded-postgres.ts";

let dataDir: string;
let postgres: EmbeddedPostgres;
let app: App;
beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "flowgate-outage-"));
  chmodSync(dataDir, 0o755);
  const log = createLogger("silent");
  postgres = await startEmbeddedPostgres(dataDir, log);
  app = await startApp(
    loadConfig({ FLOWGATE_HOST: "127.0.0.1", FLOWGATE_PORT: "0", DATABASE_URL: postgres.url }),
    log,
  );
});
afterAll(async () => {
  await app.stop();
  await postgres.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it("answers UNAVAILABLE while the database is down and keeps serving", async () => {
  const flows = createClient(
    FlowService,
    createGrpcTransport({ baseUrl: `http://127.0.0.1:${app.port}` }),
  );
  const { flow } = await flows.createFlow({ name: "before-outage" });
  await postgres.stop();
  for (const call of [
    () => flows.getFlow({ flowId: flow!.id }),
    () => flows.createFlow({ name: "during" }),
  ]) {
    const error = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.Unavailable);
  }
  // Still serving: validation happens before any database access.
  const invalid = await flows.getFlow({ flowId: "x" }).catch((e: ConnectError) => e);
  expect((invalid as ConnectError).code).toBe(Code.InvalidArgument);
});
