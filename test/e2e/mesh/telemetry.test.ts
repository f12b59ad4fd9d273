/**
 * Telemetry as standard dashboards expect it, scraped from a real server: go-grpc-prometheus
 * names and labels for every call (health and reflection included), Node's process metrics
 * under their standard names, the pool by connection state with its capacity apart, an
 * outbox lag that stays 0 on an idle server, and the orchestration span and metric for
 * ResumeFlowRun and for the background services' proposals.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SpanKind } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { startApp } from "../../../src/app.ts";
import { loadConfig } from "../../../src/config.ts";
import { createLogger } from "../../../src/logger.ts";
import { createTracing } from "../../../src/transport/tracing.ts";
import { createTestDatabase } from "../../support/database.ts";
import { flowRunHelpers } from "../../support/flow-runs.ts";
import type { TestServer } from "../../support/server.ts";

const exporter = new InMemorySpanExporter();
let server: TestServer;
beforeAll(async () => {
  // startTestServer's, with an in-memory span exporter.
  const database = await createTestDatabase();
  const config = loadConfig({
    FLOWGATE_HOST: "127.0.0.1",
    FLOWGATE_PORT: "0",
    DATABASE_URL: database.url,
    FLOWGATE_METRICS_PORT: "0",
    FLOWGATE_LATE_RUNS_LOOP_SECONDS: "0.2",
    FLOWGATE_LATE_RUNS_AFTER_SECONDS: "1",
  });
  const app = await startApp(config, createLogger("silent"), {
    tracing: createTracing({ exporter }),
  });
  const address = `http://127.0.0.1:${app.port}`;
  const transport = createGrpcTransport({ baseUrl: address });
  server = {
    app,
    address,
    database,
    client: (service) => createClient(service, transport),
    async stop() {
      await app.stop();
      await database.drop();
    },
  };
});
afterAll(() => server.stop());

async function scrape(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${server.app.metricsPort}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The value of the one sample `name{labels}` (labels in the order prom-client writes them). */
function sample(text: string, name: string, labels = ""): number | undefined {
  const line = text
    .split("\n")
    .find((candidate) => candidate.startsWith(`${name}${labels === "" ? "" : `{${labels}}`} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await read();
  for (let attempt = 0; attempt < 100 && !done(value); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

describe("RPC metrics", () => {
  it("carry go-grpc-prometheus names and labels, for unary and streaming calls alike", async () => {
    const h = flowRunHelpers(server);
    const run = await h.newRun();
    await h.propose(run.id, { type: StateType.RUNNING });
    const controller = new AbortController();
    await (async () => {
      for await (const _ of h.runs.watchFlowRun(
        { flowRunId: run.id },
        { signal: controller.signal },
      ))
        controller.abort();
    })().catch(() => {});

    const unary =
      'grpc_type="unary",grpc_service="flowgate.v1.FlowRunService",grpc_method="SetFlowRunState"';
    const stream =
      'grpc_type="server_stream",grpc_service="flowgate.v1.FlowRunService",grpc_method="WatchFlowRun"';
    const text = await eventually(scrape, (body) =>
      body.includes(`${stream},grpc_code="Canceled"`),
    );
    expect(sample(text, "grpc_server_started_total", unary)).toBe(1);
    expect(sample(text, "grpc_server_msg_received_total", unary)).toBe(1);
    expect(sample(text, "grpc_server_msg_sent_total", unary)).toBe(1);
    expect(sample(text, "grpc_server_handled_total", `${unary},grpc_code="OK"`)).toBe(1);
    expect(sample(text, "grpc_server_handling_seconds_count", unary)).toBe(1);
    expect(text).toContain(`grpc_server_handling_seconds_bucket{le="0.005",${unary}}`);
    expect(sample(text, "grpc_server_started_total", stream)).toBe(1);
    expect(sample(text, "grpc_server_msg_sent_total", stream)).toBeGreaterThanOrEqual(1);
    expect(sample(text, "grpc_server_handled_total", `${stream},grpc_code="Canceled"`)).toBe(1);
  });

  it("count health and reflection calls too", async () => {
    await server.client(Health).check({ service: "liveness" });
    await promisify(execFile)("npx", [
      "buf",
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "--list-services",
      server.address,
    ]);
    const text = await scrape();
    expect(
      sample(
        text,
        "grpc_server_handled_total",
        'grpc_type="unary",grpc_service="grpc.health.v1.Health",grpc_method="Check",grpc_code="OK"',
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(
        text,
        "grpc_server_handled_total",
        'grpc_type="bidi_stream",grpc_service="grpc.reflection.v1.ServerReflection",grpc_method="ServerReflectionInfo",grpc_code="OK"',
      ),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe("process and database metrics", () => {
  it("keep Node's standard process metric names", async () => {
    const text = await scrape();
    for (const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_heap_size_used_bytes",
      "nodejs_eventloop_lag_seconds",
    ])
      expect(sample(text, name), name).toBeGreaterThanOrEqual(0);
    expect(text).not.toContain("flowgate_process_");
  });

  it("report pool connections by state, with the capacity as its own gauge", async () => {
    const text = await scrape();
    const active = sample(text, "flowgate_db_pool_connections", 'state="active"');
    const idle = sample(text, "flowgate_db_pool_connections", 'state="idle"');
    expect(active).toBeGreaterThanOrEqual(0);
    expect(idle).toBeGreaterThanOrEqual(0);
    // Calls were made, so the pool holds connections; their states add up within capacity.
    expect(active! + idle!).toBeGreaterThan(0);
    expect(active! + idle!).toBeLessThanOrEqual(10);
    expect(sample(text, "flowgate_db_pool_max_connections")).toBe(10);
    expect(sample(text, "flowgate_db_pool_waiting")).toBeGreaterThanOrEqual(0);
    expect(text).not.toMatch(/flowgate_db_pool_connections\{state="(size|used)"\}/);
  });

  it("regression: the outbox lag stays 0 on an idle server (only undelivered events count)", async () => {
    const h = flowRunHelpers(server);
    const run = await h.newRun();
    await h.propose(run.id, { type: StateType.RUNNING });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Before: the age of the newest event, 1.5 s and growing while nothing happens.
    expect(sample(await scrape(), "flowgate_outbox_lag_seconds")).toBe(0);
  });
});

describe("orchestration telemetry beyond SetFlowRunState", () => {
  it("records ResumeFlowRun: a span under the RPC and a count by policy and outcome", async () => {
    const h = flowRunHelpers(server);
    const run = await h.newRun();
    await h.propose(run.id, { type: StateType.RUNNING });
    await h.propose(run.id, { type: StateType.PAUSED, stateDetails: { pauseKey: "telemetry" } });
    const before = sample(
      await scrape(),
      "flowgate_orchestrations_total",
      'run_kind="flow_run",policy="CoreFlowPolicy",status="ACCEPT"',
    );
    exporter.reset();
    await h.runs.resumeFlowRun({ flowRunId: run.id });

    const after = sample(
      await scrape(),
      "flowgate_orchestrations_total",
      'run_kind="flow_run",policy="CoreFlowPolicy",status="ACCEPT"',
    );
    expect(after).toBe((before ?? 0) + 1);
    const spans = exporter.getFinishedSpans();
    const rpc = spans.find((span) => span.name === "flowgate.v1.FlowRunService/ResumeFlowRun");
    const orchestration = spans.find((span) => span.name === "orchestration");
    expect(rpc?.kind).toBe(SpanKind.SERVER);
    expect(orchestration?.parentSpanContext?.spanId).toBe(rpc?.spanContext().spanId);
    expect(orchestration?.attributes).toMatchObject({
      "flowgate.run_kind": "flow_run",
      "flowgate.run_id": run.id,
      "flowgate.policy": "CoreFlowPolicy",
      "flowgate.status": "ACCEPT",
    });
  });

  it("records the background services' proposals: a root span and a count", async () => {
    const h = flowRunHelpers(server);
    const overdue = await h.newRun({
      state: {
        type: StateType.SCHEDULED,
        stateDetails: { scheduledTime: timestampFromDate(new Date(Date.now() - 3_600_000)) },
      },
    });
    const text = await eventually(scrape, (body) =>
      body.includes('policy="MarkLateRunsPolicy",status="ACCEPT"'),
    );
    expect(
      sample(
        text,
        "flowgate_orchestrations_total",
        'run_kind="flow_run",policy="MarkLateRunsPolicy",status="ACCEPT"',
      ),
    ).toBeGreaterThanOrEqual(1);
    const span = exporter
      .getFinishedSpans()
      .find(
        (candidate) =>
          candidate.name === "orchestration" &&
          candidate.attributes["flowgate.run_id"] === overdue.id,
      );
    expect(span?.parentSpanContext).toBeUndefined();
    expect(span?.attributes).toMatchObject({
      "flowgate.origin": "background",
      "flowgate.policy": "MarkLateRunsPolicy",
      "flowgate.status": "ACCEPT",
    });
  });
});
