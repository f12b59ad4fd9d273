/**
 * Tracing: a SetFlowRunState carrying a W3C `traceparent` continues the caller's trace with a
 * SERVER span and an orchestration child span whose events are the rules; without an
 * endpoint nothing is traced or registered; with one, spans reach an OTLP/HTTP collector.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Metadata } from "@grpc/grpc-js";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowService } from "../../../gen/flowgate/v1/flow_pb.js";
import { FlowRunService } from "../../../gen/flowgate/v1/flow_run_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { type App, startApp } from "../../../src/app.ts";
import { loadConfig } from "../../../src/config.ts";
import { createLogger } from "../../../src/logger.ts";
import { createTracing } from "../../../src/transport/tracing.ts";
import { createTestDatabase, type TestDatabase } from "../../support/database.ts";
import { startTestServer } from "../../support/server.ts";

const SET_STATE = "flowgate.v1.FlowRunService/SetFlowRunState";

describe("with an in-memory exporter", () => {
  const exporter = new InMemorySpanExporter();
  let database: TestDatabase;
  let app: App;
  let address: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({
      FLOWGATE_HOST: "127.0.0.1",
      FLOWGATE_PORT: "0",
      FLOWGATE_BACKGROUND_SERVICES: "false",
      DATABASE_URL: database.url,
    });
    app = await startApp(config, createLogger("silent"), {
      tracing: createTracing({ exporter }),
    });
    address = `http://127.0.0.1:${app.port}`;
  });
  afterAll(async () => {
    await app?.stop();
    await database?.drop();
  });

  it("continues the caller's trace: a SERVER span, an orchestration span, rules as events", async () => {
    const transport = createGrpcTransport({ baseUrl: address });
    const flow = (await createClient(FlowService, transport).createFlow({ name: "traced" })).flow!;
    const runs = createClient(FlowRunService, transport);
    const run = (await runs.createFlowRun({ flowId: flow.id })).flowRun!;
    const traceId = randomBytes(16).toString("hex");
    const parentSpanId = randomBytes(8).toString("hex");
    const { result } = await runs.setFlowRunState(
      { flowRunId: run.id, state: { type: StateType.RUNNING } },
      { headers: { traceparent: `00-${traceId}-${parentSpanId}-01` } },
    );

    const spans = exporter.getFinishedSpans();
    const server = spans.find((span) => span.name === SET_STATE);
    expect(server).toBeDefined();
    expect(server!.kind).toBe(SpanKind.SERVER);
    expect(server!.spanContext().traceId).toBe(traceId);
    expect(server!.parentSpanContext?.spanId).toBe(parentSpanId);
    expect(server!.attributes).toMatchObject({
      "rpc.system": "grpc",
      "rpc.service": "flowgate.v1.FlowRunService",
      "rpc.method": "SetFlowRunState",
      "rpc.grpc.status_code": 0,
    });
    expect(server!.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(server!.resource.attributes["service.name"]).toBe("flowgate");

    const orchestration = spans.find((span) => span.name === "orchestration");
    expect(orchestration?.spanContext().traceId).toBe(traceId);
    expect(orchestration?.parentSpanContext?.spanId).toBe(server!.spanContext().spanId);
    expect(orchestration?.attributes).toMatchObject({
      "flowgate.policy": "CoreFlowPolicy",
      "flowgate.status": "ACCEPT",
      "flowgate.run_kind": "flow_run",
      "flowgate.run_id": run.id,
      "flowgate.dry_run": false,
    });
    const rulesOf = (event: string) =>
      orchestration!.events
        .filter((e) => e.name === event)
        .map((e) => e.attributes?.["flowgate.rule"]);
    expect(result!.context!.ruleSignature.length).toBeGreaterThan(0);
    expect(rulesOf("rule.before")).toEqual(result!.context!.ruleSignature);
    expect(rulesOf("rule.after")).toEqual(result!.context!.finalizationSignature);
    expect(rulesOf("rule.fizzled")).toEqual(result!.context!.fizzledRules);
  });

  it("starts a new trace without a traceparent; a client error is no server error", async () => {
    const runs = createClient(FlowRunService, createGrpcTransport({ baseUrl: address }));
    await expect(
      runs.setFlowRunState({ flowRunId: "not-a-uuid", state: { type: StateType.RUNNING } }),
    ).rejects.toThrow();
    const failed = exporter
      .getFinishedSpans()
      .filter((span) => span.name === SET_STATE)
      .find((span) => span.attributes["rpc.grpc.status_code"] === 3);
    expect(failed).toBeDefined();
    expect(failed!.parentSpanContext).toBeUndefined();
    // OpenTelemetry's RPC conventions: INVALID_ARGUMENT leaves a SERVER span's status unset.
    expect(failed!.status.code).toBe(SpanStatusCode.UNSET);
  });
});

describe("without an endpoint", () => {
  it("is a no-op: inert spans, no provider registered", async () => {
    const tracing = createTracing({});
    expect(tracing.enabled).toBe(false);
    const span = tracing.startRpcSpan(`/${SET_STATE}`, new Metadata());
    expect(
      await span.orchestration({ runKind: "flow_run", runId: "x", dryRun: false }, fakeRun),
    ).toBe(FAKE_RESULT);
    span.end(0);

    const server = await startTestServer({ FLOWGATE_BACKGROUND_SERVICES: "false" });
    try {
      await server.client(FlowService).createFlow({ name: "untraced" });
    } finally {
      await server.stop();
    }
    // Nothing set the global provider: its tracers still hand out non-recording spans.
    expect(trace.getTracer("probe").startSpan("probe").isRecording()).toBe(false);
  });
});

describe("with FLOWGATE_OTLP_ENDPOINT", () => {
  it("exports spans to the collector over OTLP/HTTP, flushed when the app stops", async () => {
    const received: { method: string; url: string; body: string }[] = [];
    const collector = createServer((request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        received.push({
          method: request.method ?? "",
          url: request.url ?? "",
          body: Buffer.concat(chunks).toString("utf8"),
        });
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
    const { port } = collector.address() as AddressInfo;
    try {
      const server = await startTestServer({
        FLOWGATE_BACKGROUND_SERVICES: "false",
        FLOWGATE_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      });
      try {
        await server.client(FlowService).createFlow({ name: "exported" });
      } finally {
        await server.stop();
      }
      const posts = received.filter((r) => r.method === "POST" && r.url === "/v1/traces");
      expect(posts.length).toBeGreaterThan(0);
      expect(posts.map((post) => post.body).join("\n")).toContain(
        "flowgate.v1.FlowService/CreateFlow",
      );
    } finally {
      await new Promise((resolve) => collector.close(resolve));
    }
  });
});

const FAKE_RESULT = {
  status: "ACCEPT",
  context: { policyName: "P", ruleSignature: [], finalizationSignature: [], fizzledRules: [] },
};
const fakeRun = async () => FAKE_RESULT;
