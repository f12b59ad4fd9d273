/** Metrics scraped after a few transitions; bearer tokens on flowgate's services only. */
import { Code, type ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowService } from "../../../gen/flowgate/v1/flow_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import {
  Health,
  HealthCheckResponse_ServingStatus,
} from "../../../gen/grpc/health/v1/health_pb.js";
import { flowRunHelpers } from "../../support/flow-runs.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    FLOWGATE_METRICS_PORT: "0",
    FLOWGATE_AUTH_TOKENS: "right-token,second-token",
    FLOWGATE_BACKGROUND_SERVICES: "false",
  });
});
afterAll(() => server.stop());

function client<T extends Parameters<typeof createClient>[0]>(service: T, token?: string) {
  const transport = createGrpcTransport({
    baseUrl: server.address,
    interceptors:
      token === undefined
        ? []
        : [
            (next) => (request) => {
              request.header.set("authorization", `Bearer ${token}`);
              return next(request);
            },
          ],
  });
  return createClient(service, transport);
}

describe("authentication", () => {
  it("answers UNAUTHENTICATED without a token or with a wrong one, and passes the right one", async () => {
    const without = await client(FlowService)
      .createFlow({ name: "x" })
      .catch((e: ConnectError) => e);
    expect((without as ConnectError).code).toBe(Code.Unauthenticated);
    const wrong = await client(FlowService, "wrong")
      .createFlow({ name: "x" })
      .catch((e: ConnectError) => e);
    expect((wrong as ConnectError).code).toBe(Code.Unauthenticated);
    const right = await client(FlowService, "second-token").createFlow({ name: "authed" });
    expect(right.flow?.name).toBe("authed");
  });

  it("leaves health open", async () => {
    const answer = await client(Health).check({ service: "" });
    expect(answer.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});

describe("metrics", () => {
  it("counts RPCs, orchestrations and rule firings", async () => {
    const authed = {
      ...server,
      client: <T extends Parameters<typeof createClient>[0]>(service: T) =>
        client(service, "right-token"),
    } as TestServer;
    const h = flowRunHelpers(authed);
    const run = await h.newRun();
    await h.propose(run.id, { type: StateType.RUNNING });
    await h.propose(run.id, { type: StateType.PENDING });
    const response = await fetch(`http://127.0.0.1:${server.app.metricsPort}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(
      /grpc_server_handled_total\{grpc_type="unary",grpc_service="flowgate.v1.FlowRunService",grpc_method="SetFlowRunState",grpc_code="OK"\} 2/,
    );
    expect(text).toMatch(
      /flowgate_orchestrations_total\{run_kind="flow_run",policy="CoreFlowPolicy",status="ACCEPT"\} 1/,
    );
    expect(text).toMatch(
      /flowgate_orchestrations_total\{run_kind="flow_run",policy="CoreFlowPolicy",status="ABORT"\} 1/,
    );
    expect(text).toMatch(/flowgate_rule_firings_total\{rule="PreventPendingTransitions"\} 1/);
    expect(text).toMatch(/grpc_server_handled_total\{[^}]*grpc_code="Unauthenticated"\} [1-9]/);
    expect(text).toContain("flowgate_db_pool_connections");
    expect(text).toContain("flowgate_outbox_lag_seconds");
    expect(text).not.toContain("right-token");
  });
});
