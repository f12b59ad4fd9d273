/**
 * The database stops answering (SIGSTOP of PostgreSQL: connections stay open, nothing
 * replies, as with a frozen host or a network partition) under a running flowgate process
 * with calls and background ticks in flight. Regressions: `/metrics` hung for ever, and
 * SIGTERM never made the process exit. Neither may wait on the database: the scrape answers
 * (the pool gauge without a query), health turns NOT_SERVING, and SIGTERM drains and exits 0.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { FlowService } from "../../gen/flowgate/v1/flow_pb.js";
import { FlowRunService } from "../../gen/flowgate/v1/flow_run_pb.js";
import { StateType } from "../../gen/flowgate/v1/states_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { type OwnPostgres, startOwnPostgres } from "../support/own-postgres.ts";

let postgres: OwnPostgres;
let flowgate: ChildProcess;
let ports: { grpc: number; metrics: number };
let output = "";
let inFlight: Promise<unknown>[];
beforeAll(async () => {
  postgres = await startOwnPostgres();
  flowgate = spawn(process.execPath, ["src/main.ts"], {
    env: {
      PATH: process.env.PATH ?? "",
      DATABASE_URL: postgres.url,
      FLOWGATE_HOST: "127.0.0.1",
      FLOWGATE_PORT: "0",
      FLOWGATE_METRICS_PORT: "0",
      FLOWGATE_SHUTDOWN_GRACE_MS: "2000",
      // Ticks every 0.2 s, so that some are in flight when the database freezes.
      FLOWGATE_LATE_RUNS_LOOP_SECONDS: "0.2",
      FLOWGATE_LEASE_REAPER_LOOP_SECONDS: "0.2",
      FLOWGATE_PAUSE_EXPIRATION_LOOP_SECONDS: "0.2",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  flowgate.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  ports = { grpc: await logged("flowgate listening"), metrics: await logged("metrics listening") };
  const runs = createClient(FlowRunService, transport());
  const { flow } = await createClient(FlowService, transport()).createFlow({ name: "frozen" });
  const { flowRun } = await runs.createFlowRun({ flowId: flow!.id });
  expect((await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).status).toBe(200);

  postgres.freeze();
  // Calls in flight on the frozen database: one with a deadline, one without.
  inFlight = [
    runs.setFlowRunState(
      { flowRunId: flowRun!.id, state: { type: StateType.RUNNING } },
      { timeoutMs: 1000 },
    ),
    runs.getFlowRun({ flowRunId: flowRun!.id }),
  ].map((call) => call.catch(() => undefined));
  await new Promise((resolve) => setTimeout(resolve, 300));
});
afterAll(async () => {
  if (flowgate.exitCode === null && flowgate.signalCode === null) flowgate.kill("SIGKILL");
  await postgres.destroy();
});

const transport = () => createGrpcTransport({ baseUrl: `http://127.0.0.1:${ports.grpc}` });

/** The port of the log line `message`, once the process has written it. */
async function logged(message: string): Promise<number> {
  const pattern = new RegExp(`"port":(\\d+),"msg":"${message}"`);
  for (;;) {
    const match = pattern.exec(output);
    if (match?.[1]) return Number(match[1]);
    if (flowgate.exitCode !== null) throw new Error(`flowgate exited: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// The two tests run in order on the same frozen database and process.

it("regression: /metrics answers while the database does not, and health is NOT_SERVING", async () => {
  const scraped = Date.now();
  const response = await fetch(`http://127.0.0.1:${ports.metrics}/metrics`, {
    signal: AbortSignal.timeout(15_000),
  });
  const scrapeMs = Date.now() - scraped;
  expect(response.status).toBe(200);
  expect(await response.text()).toMatch(/flowgate_db_pool_max_connections 10/);
  console.log(`scrape while the database is frozen: ${scrapeMs} ms`);

  const health = createClient(Health, transport());
  for (;;) {
    const { status } = await health.check({ service: "" }, { timeoutMs: 1000 });
    if (status === HealthCheckResponse_ServingStatus.NOT_SERVING) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});

it("regression: SIGTERM drains and exits 0 while the database does not answer", async () => {
  const exited = new Promise<number | null>((resolve) => flowgate.once("exit", resolve));
  const stopping = Date.now();
  flowgate.kill("SIGTERM");
  const timeout = new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 30_000));
  expect(await Promise.race([exited, timeout])).toBe(0);
  console.log(`SIGTERM to exit while the database is frozen: ${Date.now() - stopping} ms`);
  await Promise.all(inFlight);
});
