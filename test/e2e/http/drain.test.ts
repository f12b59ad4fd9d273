/**
 * The HTTP port drains like the gRPC port: on stop, every open stream (Connect and gRPC-Web)
 * ends at once with UNAVAILABLE, so that watchers reconnect to another replica, the port
 * stops accepting, and the stop does not wait for the grace period.
 */
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { expect, it } from "vitest";
import { FlowService } from "../../../gen/flowgate/v1/flow_pb.js";
import { FlowRunService } from "../../../gen/flowgate/v1/flow_run_pb.js";
import { startTestServer } from "../../support/server.ts";

const GRACE_MS = 20_000;

/** Reads a watch until it ends; `ready` once its first message came. */
function watch(transport: Transport, flowRunId: string) {
  let first: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    first = resolve;
  });
  const ended = (async () => {
    try {
      for await (const _ of createClient(FlowRunService, transport).watchFlowRun({ flowRunId }))
        first();
      return "ok";
    } catch (error) {
      return ConnectError.from(error).code;
    }
  })();
  return { ready: Promise.race([ready, ended]), ended };
}

it("ends open HTTP streams with UNAVAILABLE at once on stop, and stops accepting", async () => {
  const server = await startTestServer({
    FLOWGATE_HTTP_PORT: "0",
    FLOWGATE_BACKGROUND_SERVICES: "false",
    FLOWGATE_SHUTDOWN_GRACE_MS: String(GRACE_MS),
  });
  const baseUrl = `http://127.0.0.1:${server.app.httpPort}`;
  const connect = createConnectTransport({ baseUrl, httpVersion: "1.1" });
  const grpcWeb = createGrpcWebTransport({ baseUrl, httpVersion: "1.1" });
  const flow = (await createClient(FlowService, connect).createFlow({ name: "drained" })).flow!;
  const runs = createClient(FlowRunService, connect);
  const { flowRun } = await runs.createFlowRun({ flowId: flow.id });
  const watches = [watch(connect, flowRun!.id), watch(grpcWeb, flowRun!.id)];
  await Promise.all(watches.map((open) => open.ready));

  const started = performance.now();
  try {
    await server.app.stop();
  } finally {
    await server.database.drop();
  }
  expect(await Promise.all(watches.map((open) => open.ended))).toEqual([
    Code.Unavailable,
    Code.Unavailable,
  ]);
  // Not held until the grace period runs out by streams that never end by themselves.
  expect(performance.now() - started).toBeLessThan(GRACE_MS / 2);
  const refused = await createClient(FlowService, connect)
    .listFlows({})
    .catch((error: unknown) => ConnectError.from(error));
  expect(refused).toBeInstanceOf(ConnectError);
  expect((refused as ConnectError).code).toBe(Code.Unavailable);
});
