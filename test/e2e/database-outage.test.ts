/**
 * The database goes away under a running server and comes back: calls answer UNAVAILABLE
 * (not INTERNAL), health turns NOT_SERVING, and after the restart both recover without a
 * server restart and nothing committed is lost. Uses its own embedded PostgreSQL so that it
 * can stop and restart it on the same port.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { FlowService } from "../../gen/flowgate/v1/flow_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { type App, startApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import {
  type EmbeddedPostgres,
  startEmbeddedPostgres,
} from "../../src/persistence/embedded-postgres.ts";

const log = createLogger("silent");
let dataDir: string;
let postgres: EmbeddedPostgres;
let app: App;
beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "flowgate-outage-"));
  chmodSync(dataDir, 0o755);
  postgres = await startEmbeddedPostgres(dataDir, log);
  app = await startApp(
    loadConfig({
      FLOWGATE_HOST: "127.0.0.1",
      FLOWGATE_PORT: "0",
      DATABASE_URL: postgres.url,
      FLOWGATE_BACKGROUND_SERVICES: "false",
    }),
    log,
  );
});
afterAll(async () => {
  await app.stop();
  await postgres.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("condition not met in time");
}

it("answers UNAVAILABLE and NOT_SERVING while the database is down, and recovers after it returns", async () => {
  const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${app.port}` });
  const flows = createClient(FlowService, transport);
  const health = createClient(Health, transport);
  const serving = async () => (await health.check({ service: "" })).status;
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
  await eventually(async () => (await serving()) === HealthCheckResponse_ServingStatus.NOT_SERVING);
  // Still serving requests that need no database.
  const invalid = await flows.getFlow({ flowId: "x" }).catch((e: ConnectError) => e);
  expect((invalid as ConnectError).code).toBe(Code.InvalidArgument);

  postgres = await startEmbeddedPostgres(dataDir, log, postgres.port);
  await eventually(async () => (await serving()) === HealthCheckResponse_ServingStatus.SERVING);
  await eventually(
    async () => (await flows.getFlow({ flowId: flow!.id })).flow?.name === "before-outage",
  );
  expect((await flows.createFlow({ name: "after-outage" })).created).toBe(true);
});
