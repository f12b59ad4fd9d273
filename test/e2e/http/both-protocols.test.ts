/**
 * The same cases against both ports and every protocol they speak: gRPC (grpc-js port), and
 * Connect JSON, Connect binary and gRPC-Web (HTTP port), plus a raw JSON POST as curl sends
 * it. Each protocol must give the same answers: an orchestration, a WatchFlowRun stream and
 * its deadline, an error with its ErrorInfo and BadRequest, authentication, the RPC metrics
 * and the per-call log line.
 */
import {
  Code,
  ConnectError,
  createClient,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowService } from "../../../gen/flowgate/v1/flow_pb.js";
import { FlowRunService } from "../../../gen/flowgate/v1/flow_run_pb.js";
import { SetStateStatus } from "../../../gen/flowgate/v1/orchestration_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { BadRequestSchema, ErrorInfoSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { captureLog } from "../../support/log-capture.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";

const TOKEN = "http-test-token";
const captured = captureLog();
let server: TestServer;
let httpUrl: string;
beforeAll(async () => {
  server = await startTestServer(
    {
      FLOWGATE_HTTP_PORT: "0",
      FLOWGATE_METRICS_PORT: "0",
      FLOWGATE_AUTH_TOKENS: TOKEN,
      FLOWGATE_BACKGROUND_SERVICES: "false",
    },
    captured.log,
  );
  httpUrl = `http://127.0.0.1:${server.app.httpPort}`;
});
afterAll(() => server.stop());

type ProtocolName = "grpc" | "connect-json" | "connect-binary" | "grpc-web";
const PROTOCOLS: readonly ProtocolName[] = ["grpc", "connect-json", "connect-binary", "grpc-web"];

/** A client transport; `token` null: no authorization header. */
function transport(protocol: ProtocolName, token: string | null = TOKEN): Transport {
  const bearer: Interceptor = (next) => (request) => {
    if (token !== null) request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
  const withAuth = { interceptors: [bearer] };
  switch (protocol) {
    case "grpc":
      return createGrpcTransport({ ...withAuth, baseUrl: server.address });
    case "connect-json":
      return createConnectTransport({ ...withAuth, baseUrl: httpUrl, httpVersion: "1.1" });
    case "connect-binary":
      return createConnectTransport({
        ...withAuth,
        baseUrl: httpUrl,
        httpVersion: "1.1",
        useBinaryFormat: true,
      });
    case "grpc-web":
      return createGrpcWebTransport({ ...withAuth, baseUrl: httpUrl, httpVersion: "1.1" });
  }
}

const clients = (protocol: ProtocolName, token?: string | null) => {
  const t = transport(protocol, token);
  return { flows: createClient(FlowService, t), runs: createClient(FlowRunService, t) };
};

/** The same answer from every protocol: runs `act` once per protocol. */
async function acrossProtocols<T>(act: (protocol: ProtocolName) => Promise<T>): Promise<T[]> {
  const answers: T[] = [];
  for (const protocol of PROTOCOLS) answers.push(await act(protocol));
  return answers;
}

const failureOf = (call: Promise<unknown>) =>
  call.then(
    () => undefined,
    (error: unknown) => ConnectError.from(error),
  );

describe("every protocol answers alike", () => {
  it("an orchestration: CreateFlow, CreateFlowRun, SetFlowRunState ACCEPT, then ABORT back to PENDING", async () => {
    const answers = await acrossProtocols(async (protocol) => {
      const { flows, runs } = clients(protocol);
      const name = `etl-${protocol}`;
      const created = await flows.createFlow({ name, tags: ["a", "b"] });
      const again = await flows.createFlow({ name });
      const { flowRun } = await runs.createFlowRun({
        flowId: created.flow!.id,
        state: { type: StateType.SCHEDULED },
      });
      const running = await runs.setFlowRunState({
        flowRunId: flowRun!.id,
        state: { type: StateType.RUNNING },
      });
      const pending = await runs.setFlowRunState({
        flowRunId: flowRun!.id,
        state: { type: StateType.PENDING },
      });
      return {
        flow: { name: created.flow!.name, tags: created.flow!.tags, created: created.created },
        sameFlowAgain: again.flow!.id === created.flow!.id && !again.created,
        initial: flowRun!.state?.type,
        running: [running.result?.status, running.result?.state?.type],
        pending: [
          pending.result?.status,
          pending.result?.details.case,
          pending.result?.details.value,
        ],
      };
    });
    for (const [i, answer] of answers.entries()) {
      expect(answer, PROTOCOLS[i]).toEqual({
        flow: { name: `etl-${PROTOCOLS[i]}`, tags: ["a", "b"], created: true },
        sameFlowAgain: true,
        initial: StateType.SCHEDULED,
        running: [SetStateStatus.ACCEPT, StateType.RUNNING],
        pending: answers[0]!.pending,
      });
    }
    expect(answers[0]!.pending.slice(0, 2)).toEqual([SetStateStatus.ABORT, "abort"]);
  });

  it("a WatchFlowRun stream: the current state, then each accepted one; its deadline ends it", async () => {
    const answers = await acrossProtocols(async (protocol) => {
      const { flows, runs } = clients(protocol);
      const flow = (await flows.createFlow({ name: `watched-${protocol}` })).flow!;
      const { flowRun } = await runs.createFlowRun({ flowId: flow.id });
      const seen: (StateType | undefined)[] = [];
      let proposed = false;
      let ended: Code | "ok" = "ok";
      try {
        for await (const message of runs.watchFlowRun(
          { flowRunId: flowRun!.id },
          { timeoutMs: 1500 },
        )) {
          seen.push(message.state?.type);
          if (!proposed) {
            proposed = true;
            await runs.setFlowRunState({
              flowRunId: flowRun!.id,
              state: { type: StateType.RUNNING },
            });
          }
        }
      } catch (error) {
        ended = ConnectError.from(error).code;
      }
      return { seen, ended };
    });
    for (const [i, answer] of answers.entries()) {
      expect(answer, PROTOCOLS[i]).toEqual({
        seen: [StateType.PENDING, StateType.RUNNING],
        ended: Code.DeadlineExceeded,
      });
    }
  });

  it("an error: INVALID_ARGUMENT with its ErrorInfo and a BadRequest naming the field", async () => {
    const answers = await acrossProtocols(async (protocol) => {
      const error = await failureOf(clients(protocol).runs.getFlowRun({ flowRunId: "nope" }));
      return {
        code: error?.code,
        message: error?.rawMessage,
        info: error?.findDetails(ErrorInfoSchema).map(({ reason, domain }) => ({ reason, domain })),
        fields: error
          ?.findDetails(BadRequestSchema)
          .flatMap((bad) => bad.fieldViolations.map(({ field }) => field)),
      };
    });
    for (const [i, answer] of answers.entries()) {
      expect(answer, PROTOCOLS[i]).toEqual({
        code: Code.InvalidArgument,
        message: answers[0]!.message,
        info: [{ reason: "INVALID_FIELD", domain: "flowgate.dev" }],
        fields: ["flow_run_id"],
      });
    }
    expect(answers[0]!.message).toMatch(/flow_run_id/);
  });

  it("authentication: UNAUTHENTICATED without a token or with a wrong one, OK with it", async () => {
    const answers = await acrossProtocols(async (protocol) => {
      const without = await failureOf(clients(protocol, null).flows.listFlows({}));
      const wrong = await failureOf(clients(protocol, "wrong").flows.listFlows({}));
      const right = await failureOf(clients(protocol).flows.listFlows({}));
      return {
        without: [without?.code, without?.findDetails(ErrorInfoSchema)[0]?.reason],
        wrong: [wrong?.code, wrong?.findDetails(ErrorInfoSchema)[0]?.reason],
        right: right?.code ?? "ok",
      };
    });
    for (const [i, answer] of answers.entries()) {
      expect(answer, PROTOCOLS[i]).toEqual({
        without: [Code.Unauthenticated, "MISSING_TOKEN"],
        wrong: [Code.Unauthenticated, "INVALID_TOKEN"],
        right: "ok",
      });
    }
  });
});

describe("plain JSON over HTTP, as curl sends it", () => {
  const post = (path: string, body: unknown, token: string | null = TOKEN) =>
    fetch(`${httpUrl}/${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });

  it("creates a flow and a run with buf curl's JSON names, and answers errors as Connect JSON", async () => {
    const created = await post("flowgate.v1.FlowService/CreateFlow", { name: "etl" });
    expect(created.status).toBe(200);
    const flow = (await created.json()) as { flow: Record<string, unknown>; created: boolean };
    expect(flow).toMatchObject({ flow: { name: "etl" }, created: true });
    expect(Object.keys(flow.flow).sort()).toEqual(["created", "id", "name", "updated"]);

    // Field names as in the proto (flow_id) or in JSON (flowId), as protojson accepts both.
    const run = await post("flowgate.v1.FlowRunService/CreateFlowRun", {
      flow_id: flow.flow.id,
      state: { type: "STATE_TYPE_SCHEDULED" },
    });
    expect(run.status).toBe(200);
    const { flowRun } = (await run.json()) as { flowRun: Record<string, unknown> };
    expect(flowRun).toMatchObject({
      flowId: flow.flow.id,
      state: { type: "STATE_TYPE_SCHEDULED" },
    });

    const refused = await post("flowgate.v1.FlowService/CreateFlow", { name: "etl" }, null);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({
      code: "unauthenticated",
      message: "missing bearer token",
      details: [{ type: "google.rpc.ErrorInfo" }],
    });
  });
});

describe("observability of HTTP calls", () => {
  const handled = async (method: string, code: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${server.app.metricsPort}/metrics`)).text();
    const line = text
      .split("\n")
      .find((candidate) =>
        candidate.startsWith(
          `grpc_server_handled_total{grpc_type="unary",grpc_service="flowgate.v1.FlowService",grpc_method="${method}",grpc_code="${code}"}`,
        ),
      );
    return line === undefined ? 0 : Number(line.split(" ").at(-1));
  };

  it("counts every protocol's calls in the gRPC metrics and logs one line per call with its protocol", async () => {
    const before = await handled("GetFlow", "NotFound");
    const missing = "00000000-0000-4000-8000-000000000000";
    const codes = await acrossProtocols(
      async (protocol) =>
        (await failureOf(clients(protocol).flows.getFlow({ flowId: missing })))?.code,
    );
    expect(codes).toEqual(PROTOCOLS.map(() => Code.NotFound));
    expect((await handled("GetFlow", "NotFound")) - before).toBe(PROTOCOLS.length);

    const lines = captured
      .lines()
      .filter((line) => line.msg === "call" && line.method === "/flowgate.v1.FlowService/GetFlow");
    expect(new Set(lines.map((line) => `${line.protocol} ${line.code}`))).toEqual(
      new Set(["grpc NOT_FOUND", "connect NOT_FOUND", "grpc-web NOT_FOUND"]),
    );
  });
});
