/**
 * The gRPC server: flowgate's services (through the edge interceptors, bridge.ts), health
 * and reflection on one grpc-js server (plaintext, or TLS from files that are reloaded when
 * they change), and a graceful drain: readiness NOT_SERVING and
 * every open stream ended with UNAVAILABLE at once (so watchers reconnect to another replica),
 * then stop accepting, let in-flight calls finish within the grace period, cancel the rest.
 */
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import * as grpc from "@grpc/grpc-js";
import { file_grpc_health_v1_health } from "../../../gen/grpc/health/v1/health_pb.js";
import type { TlsConfig } from "../../config.ts";
import type { Logger } from "../../logger.ts";
import { methodPath } from "../call.ts";
import type { ServiceBinding } from "../handlers.ts";
import { callLine, type Interceptor, isServerFault } from "../interceptors/index.ts";
import type { Metrics } from "../metrics.ts";
import { DRAIN_DETAILS, OpenStreams } from "../open-streams.ts";
import { addService } from "./bridge.ts";
import { addHealth, type Health } from "./health.ts";
import { addReflection } from "./reflection.ts";
import { type CallListener, callInterceptor } from "./server-calls.ts";
import { reloadingServerCredentials } from "./tls.ts";

export interface GrpcServer {
  readonly health: Health;
  /** Binds and starts serving; resolves to the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number>;
  /**
   * Starts the drain at once, while calls are still accepted: readiness NOT_SERVING for good,
   * and every open stream (watches, health watches) ended with UNAVAILABLE.
   */
  startDrain(): void;
  /** Drains ({@link startDrain}), refuses new calls, waits up to `graceMs` for in-flight ones, then forces. */
  shutdown(graceMs: number): Promise<void>;
}

/** Transport settings of the gRPC port. */
export interface GrpcServerOptions {
  readonly log: Logger;
  /** Counts health and reflection calls (flowgate's own are counted by the edge). */
  readonly metrics?: Metrics | undefined;
  /** The edge interceptors of flowgate's services (../interceptors/). */
  readonly edge: Interceptor;
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  /** Connections are closed (GOAWAY) after this age so clients re-balance across replicas. */
  readonly maxConnectionAgeMs: number;
  readonly maxConnectionAgeGraceMs: number;
  /** TLS on the gRPC port; absent: plaintext. */
  readonly tls?: TlsConfig | undefined;
  /** Larger requests are refused (RESOURCE_EXHAUSTED) before they are decoded. */
  readonly maxMessageBytes: number;
}

export function createGrpcServer(
  services: readonly ServiceBinding[],
  options: GrpcServerOptions,
): GrpcServer {
  const { log, metrics } = options;
  const streams = new OpenStreams();
  const edgePaths = new Set(services.flatMap(({ service }) => service.methods.map(methodPath)));
  const server = new grpc.Server({
    "grpc.keepalive_time_ms": options.keepaliveTimeMs,
    "grpc.keepalive_timeout_ms": options.keepaliveTimeoutMs,
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.max_connection_age_ms": options.maxConnectionAgeMs,
    "grpc.max_connection_age_grace_ms": options.maxConnectionAgeGraceMs,
    // First, so that it sees the base call (server-calls.ts reads its connection).
    interceptors: [callInterceptor(callLog(log, metrics), streams, (path) => !edgePaths.has(path))],
    "grpc.max_receive_message_length": options.maxMessageBytes,
  });
  for (const binding of services) addService(server, binding, { log, edge: options.edge, streams });
  const ownServices = services.map(({ service }) => service);
  const health = addHealth(
    server,
    ownServices.map((service) => service.typeName),
  );
  addReflection(server, [...ownServices, healthService()]);
  const credentials =
    options.tls === undefined
      ? grpc.ServerCredentials.createInsecure()
      : reloadingServerCredentials(options.tls, log);

  const startDrain = () => {
    health.drain();
    if (streams.size > 0) log.info({ streams: streams.size }, "ending open streams");
    streams.endAll(grpc.status.UNAVAILABLE, DRAIN_DETAILS);
  };
  return {
    health,
    listen(host, port) {
      return new Promise((resolve, reject) => {
        server.bindAsync(`${host}:${port}`, credentials, (error, bound) => {
          if (error) return reject(error);
          health.set("SERVING");
          resolve(bound);
        });
      });
    },
    startDrain,
    shutdown(graceMs) {
      startDrain();
      return new Promise((resolve) => {
        const force = setTimeout(() => {
          log.warn({ graceMs }, "grace period over; cancelling in-flight calls");
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}

/** The log line and the RPC metrics of a health or reflection call. */
function callLog(log: Logger, metrics: Metrics | undefined): CallListener {
  return {
    started: (call) => metrics?.started(call),
    received: (call) => metrics?.received(call),
    sent: (call) => metrics?.sent(call),
    finished(call, code, seconds) {
      metrics?.finished(call, code, seconds);
      const line = callLine(call.path, code, seconds);
      // Probes and reflection call often; their lines are for debugging only.
      if (isServerFault(code)) log.warn(line, "call");
      else log.debug(line, "call");
    },
  };
}

function healthService(): GenService<GenServiceMethods> {
  const service = file_grpc_health_v1_health.services[0];
  if (service === undefined) throw new Error("health.proto declares no service");
  return service as GenService<GenServiceMethods>;
}
