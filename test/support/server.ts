/** A real flowgate server on 127.0.0.1:0 over a fresh database, and typed clients for it. */
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { type App, startApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger, type Logger } from "../../src/logger.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";

export interface TestServer {
  readonly app: App;
  readonly address: string;
  readonly database: TestDatabase;
  client<T extends DescService>(service: T): Client<T>;
  stop(): Promise<void>;
}

/** @param log replaces the default logger, e.g. to capture the lines a test asserts on. */
export async function startTestServer(
  env: Record<string, string> = {},
  log?: Logger,
): Promise<TestServer> {
  const database = await createTestDatabase();
  const config = loadConfig({
    FLOWGATE_HOST: "127.0.0.1",
    FLOWGATE_PORT: "0",
    FLOWGATE_SHUTDOWN_GRACE_MS: "2000",
    DATABASE_URL: database.url,
    ...env,
  });
  const app = await startApp(
    config,
    log ?? createLogger(process.env.TEST_LOG_LEVEL === "debug" ? "debug" : "silent"),
  );
  const address = `http://127.0.0.1:${app.port}`;
  const transport = createGrpcTransport({ baseUrl: address });
  return {
    app,
    address,
    database,
    client: (service) => createClient(service, transport),
    async stop() {
      await app.stop();
      await database.drop();
    },
  };
}
