/**
 * Long-lived streams and the drain. On SIGTERM every open WatchFlowRun / WatchTaskRun ends at
 * once with UNAVAILABLE (clients reconnect elsewhere) instead of holding the shutdown for the
 * grace period, and health watchers see NOT_SERVING before the streams end and connections
 * are refused. A connection closed for its age ends its watches with UNAVAILABLE too; a
 * watch the client cancels is logged and counted as CANCELLED, not OK.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowRunService } from "../../gen/flowgate/v1/flow_run_pb.js";
import { StateType } from "../../gen/flowgate/v1/states_pb.js";
import { TaskRunService } from "../../gen/flowgate/v1/task_run_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { flowRunHelpers } from "../support/flow-runs.ts";
import { captureLog } from "../support/log-capture.ts";
import { spawnFlowgate } from "../support/process.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { taskRunHelpers } from "../support/task-runs.ts";

/** Reads `stream` to its end: the messages, and the error it ended with (undefined: OK). */
async function drain<T>(stream: AsyncIterable<T>, onMessage: (message: T) => void = () => {}) {
  const messages: T[] = [];
  try {
    for await (const message of stream) {
      messages.push(message);
      onMessage(message);
    }
    return { messages, error: undefined };
  } catch (error) {
    return { messages, error: ConnectError.from(error) };
  }
}

/** Resolves once `predicate` holds for a message of `stream`, reading it to its end meanwhile. */
function watchUntil<T>(stream: AsyncIterable<T>, predicate: (message: T) => boolean) {
  let reached: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const ended = drain(stream, (message) => {
    if (predicate(message)) reached();
  });
  return { ready: Promise.race([ready, ended.then(() => {})]), ended };
}

async function scrape(server: TestServer): Promise<string> {
  return (await fetch(`http://127.0.0.1:${server.app.metricsPort}/metrics`)).text();
}

describe("SIGTERM with watches open", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it("ends every watch at once with UNAVAILABLE, health NOT_SERVING first, and exits long before the grace period", async () => {
    const graceMs = 20_000;
    const flowgate = spawnFlowgate({
      DATABASE_URL: database.url,
      FLOWGATE_SHUTDOWN_GRACE_MS: String(graceMs),
      FLOWGATE_BACKGROUND_SERVICES: "false",
    });
    const transport = createGrpcTransport({
      baseUrl: `http://127.0.0.1:${(await flowgate.listening).port}`,
    });
    const server = { client: (service: never) => createClient(service, transport) } as never;
    const flowRun = await flowRunHelpers(server).newRun();
    const tasks = taskRunHelpers(server);
    const taskRun = await tasks.newTask({ flowRunId: await tasks.newFlowRun() });

    const flowWatch = watchUntil(
      createClient(FlowRunService, transport).watchFlowRun({ flowRunId: flowRun.id }),
      () => true,
    );
    const taskWatch = watchUntil(
      createClient(TaskRunService, transport).watchTaskRun({ taskRunId: taskRun.id }),
      () => true,
    );
    const healthWatch = watchUntil(
      createClient(Health, transport).watch({ service: "" }),
      (message) => message.status === HealthCheckResponse_ServingStatus.SERVING,
    );
    await Promise.all([flowWatch.ready, taskWatch.ready, healthWatch.ready]);

    const signalled = performance.now();
    flowgate.child.kill("SIGTERM");
    const [flow, task, health] = await Promise.all([
      flowWatch.ended,
      taskWatch.ended,
      healthWatch.ended,
    ]);
    expect(flow.error?.code).toBe(Code.Unavailable);
    expect(task.error?.code).toBe(Code.Unavailable);
    expect(flow.error?.rawMessage).toMatch(/shutting down; reconnect/);
    expect(health.messages.map((message) => message.status)).toEqual([
      HealthCheckResponse_ServingStatus.SERVING,
      HealthCheckResponse_ServingStatus.NOT_SERVING,
    ]);
    expect(health.error?.code).toBe(Code.Unavailable);

    expect(await flowgate.exited).toBe(0);
    // Before: the shutdown waited for the open watches until the grace period ran out.
    expect(performance.now() - signalled).toBeLessThan(graceMs / 2);
    expect(flowgate.output()).toMatch(/"streams":3,"msg":"ending open streams"/);
  });
});

describe("the connection age limit", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      FLOWGATE_BACKGROUND_SERVICES: "false",
      FLOWGATE_MAX_CONNECTION_AGE_MS: "1000",
      FLOWGATE_MAX_CONNECTION_AGE_GRACE_MS: "60000",
    });
  });
  afterAll(() => server.stop());

  it("ends a watch with UNAVAILABLE when its connection reaches the age limit, and the client can watch again", async () => {
    const h = flowRunHelpers(server);
    const run = await h.newRun();
    // A transport of its own: a fresh connection, so that its age is this test's.
    const transport = createGrpcTransport({ baseUrl: server.address });
    const watch = watchUntil(
      createClient(FlowRunService, transport).watchFlowRun({ flowRunId: run.id }),
      () => true,
    );
    await watch.ready;
    const ended = await watch.ended;
    // Before: the watch went on past the age and was cut when the 60 s grace ran out.
    expect(ended.error?.code).toBe(Code.Unavailable);
    expect(ended.error?.rawMessage).toMatch(/maximum age; reconnect/);

    const again = watchUntil(
      createClient(FlowRunService, createGrpcTransport({ baseUrl: server.address })).watchFlowRun({
        flowRunId: run.id,
      }),
      () => true,
    );
    await again.ready;
    await h.propose(run.id, { type: StateType.RUNNING });
    const states = (await again.ended).messages.map((message) => message.state?.type);
    expect(states).toContain(StateType.RUNNING);
  });
});

describe("a watch the client cancels", () => {
  const captured = captureLog();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(
      { FLOWGATE_METRICS_PORT: "0", FLOWGATE_BACKGROUND_SERVICES: "false" },
      captured.log,
    );
  });
  afterAll(() => server.stop());

  it("regression: a client-cancelled watch is logged CANCELLED and counted Canceled, not OK", async () => {
    const h = flowRunHelpers(server);
    const run = await h.newRun();
    const controller = new AbortController();
    const watch = watchUntil(
      server
        .client(FlowRunService)
        .watchFlowRun({ flowRunId: run.id }, { signal: controller.signal }),
      () => true,
    );
    await watch.ready;
    controller.abort();
    expect((await watch.ended).error?.code).toBe(Code.Canceled);

    const counted =
      /grpc_server_handled_total\{grpc_type="server_stream",grpc_service="flowgate.v1.FlowRunService",grpc_method="WatchFlowRun",grpc_code="Canceled"\} 1/;
    for (let attempt = 0; attempt < 50 && !counted.test(await scrape(server)); attempt++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const text = await scrape(server);
    expect(text).toMatch(counted);
    expect(text).not.toMatch(/grpc_method="WatchFlowRun",grpc_code="OK"/);
    const watchLines = captured
      .lines()
      .filter(
        (line) => line.msg === "call" && line.method === "/flowgate.v1.FlowRunService/WatchFlowRun",
      );
    expect(watchLines.map((line) => line.code)).toContain("CANCELLED");
    expect(watchLines.map((line) => line.code)).not.toContain("OK");
    expect(captured.lines().filter((line) => line.msg === "unhandled error")).toEqual([]);
  });
});
