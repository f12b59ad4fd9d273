/**
 * The gRPC server: flowgate's services, health and reflection on one grpc-js server
 * (plaintext, or TLS from files that are reloaded when they change), one JSON log line and
 * the RPC metrics per call (server-calls.ts), and a graceful drain: readiness NOT_SERVING and
 * every open stream ended with UNAVAILABLE at once (so watchers reconnect to another replica),
 * then stop accepting, let in-flight calls finish within the grace period, cancel the rest.
 */
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import * as grpc from "@grpc/grpc-js";
import { ConcurrencyLimitService } from "../../../gen/flowgate/v1/concurrency_limit_pb.js";
import { DeploymentService } from "../../../gen/flowgate/v1/deployment_pb.js";
import { FlowService } from "../../../gen/flowgate/v1/flow_pb.js";
import { FlowRunService } from "../../../gen/flowgate/v1/flow_run_pb.js";
import { TaskRunService } from "../../../gen/flowgate/v1/task_run_pb.js";
import { file_grpc_health_v1_health } from "../../../gen/grpc/health/v1/health_pb.js";
import type { DeploymentUseCases } from "../../application/deployments.ts";
import type { FlowRunUseCases } from "../../application/flow-runs.ts";
import type { FlowUseCases } from "../../application/flows.ts";
import type { LeaseUseCases } from "../../application/leases.ts";
import type { ResumeFlowRun } from "../../application/resume-flow-run.ts";
import type { TagLimitUseCases } from "../../application/tag-limits.ts";
import type { TaskRunUseCases } from "../../application/task-runs.ts";
import type { RunWatcher } from "../../application/watch-run.ts";
import type { TlsConfig } from "../../config.ts";
import type { Logger } from "../../logger.ts";
import type { Clock } from "../../orchestration/index.ts";
import type { Metrics } from "../metrics.ts";
import { OrchestrationTelemetry } from "../orchestration-telemetry.ts";
import { createTracing, type Tracing } from "../tracing.ts";
import type { Authenticator } from "./auth.ts";
import { addService, type CallPipeline } from "./bridge.ts";
import { StatusError } from "./errors.ts";
import { concurrencyLimitServiceHandlers } from "./handlers/concurrency-limit-service.ts";
import { deploymentServiceHandlers } from "./handlers/deployment-service.ts";
import { flowRunServiceHandlers } from "./handlers/flow-run-service.ts";
import { flowServiceHandlers } from "./handlers/flow-service.ts";
import { resumeFlowRunHandler } from "./handlers/resume-flow-run.ts";
import { taskRunServiceHandlers } from "./handlers/task-run-service.ts";
import { addHealth, type Health } from "./health.ts";
import { addReflection } from "./reflection.ts";
import { type CallInfo, type CallListener, callInterceptor, OpenStreams } from "./server-calls.ts";
import { reloadingServerCredentials } from "./tls.ts";

export interface UseCases {
  readonly clock: Clock;
  readonly flows: FlowUseCases;
  readonly deployments: DeploymentUseCases;
  readonly flowRuns: FlowRunUseCases;
  readonly resumeFlowRun: ResumeFlowRun;
  readonly flowRunWatcher: RunWatcher;
  readonly leases: LeaseUseCases;
  readonly tagLimits: TagLimitUseCases;
  readonly taskRuns: TaskRunUseCases;
  readonly taskRunWatcher: RunWatcher;
}

export interface GrpcServer {
  readonly health: Health;
  /** What records orchestrations; the background services' proposals use it too. */
  readonly orchestrations: OrchestrationTelemetry;
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

const SERVICES: readonly GenService<GenServiceMethods>[] = [
  FlowService,
  DeploymentService,
  FlowRunService,
  TaskRunService,
  ConcurrencyLimitService,
];

/** Transport settings that do not come from the use cases. */
export interface GrpcServerOptions {
  readonly log: Logger;
  readonly metrics?: Metrics | undefined;
  /** A span per flowgate RPC and per orchestration; absent: no tracing. */
  readonly tracing?: Tracing | undefined;
  readonly authenticate?: Authenticator | undefined;
  /** Unary calls in flight beyond this are answered RESOURCE_EXHAUSTED (0: no limit). */
  readonly maxInFlight: number;
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

export function createGrpcServer(useCases: UseCases, options: GrpcServerOptions): GrpcServer {
  const { log, metrics } = options;
  const streams = new OpenStreams();
  const server = new grpc.Server({
    "grpc.keepalive_time_ms": options.keepaliveTimeMs,
    "grpc.keepalive_timeout_ms": options.keepaliveTimeoutMs,
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.max_connection_age_ms": options.maxConnectionAgeMs,
    "grpc.max_connection_age_grace_ms": options.maxConnectionAgeGraceMs,
    // First, so that it sees the base call (server-calls.ts reads its connection).
    interceptors: [callInterceptor(callLog(log, metrics), streams)],
    "grpc.max_receive_message_length": options.maxMessageBytes,
  });
  const pipeline: CallPipeline = {
    log,
    authenticate: options.authenticate,
    admit: options.maxInFlight > 0 ? admission(options.maxInFlight) : undefined,
    tracing: options.tracing,
  };
  const orchestrations = new OrchestrationTelemetry(metrics, options.tracing ?? createTracing());
  addService(server, FlowService, flowServiceHandlers(useCases.flows), pipeline);
  addService(server, DeploymentService, deploymentServiceHandlers(useCases.deployments), pipeline);
  addService(
    server,
    FlowRunService,
    {
      ...flowRunServiceHandlers(
        useCases.flowRuns,
        useCases.flowRunWatcher,
        useCases.clock,
        orchestrations,
      ),
      ...resumeFlowRunHandler(useCases.resumeFlowRun, orchestrations),
    },
    pipeline,
  );
  addService(
    server,
    TaskRunService,
    taskRunServiceHandlers(useCases.taskRuns, useCases.taskRunWatcher, orchestrations),
    pipeline,
  );
  addService(
    server,
    ConcurrencyLimitService,
    concurrencyLimitServiceHandlers(useCases.leases, useCases.tagLimits),
    pipeline,
  );
  const health = addHealth(
    server,
    SERVICES.map((service) => service.typeName),
  );
  addReflection(server, [...SERVICES, healthService()]);
  const credentials =
    options.tls === undefined
      ? grpc.ServerCredentials.createInsecure()
      : reloadingServerCredentials(options.tls, log);

  const startDrain = () => {
    health.drain();
    if (streams.size > 0) log.info({ streams: streams.size }, "ending open streams");
    streams.endAll(
      grpc.status.UNAVAILABLE,
      "flowgate is shutting down; reconnect to another replica",
    );
  };
  return {
    health,
    orchestrations,
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

/** The per-call log line and the RPC metrics, for every call the server takes. */
function callLog(log: Logger, metrics: Metrics | undefined): CallListener {
  return {
    started: (call) => metrics?.started(call),
    received: (call) => metrics?.received(call),
    sent: (call) => metrics?.sent(call),
    finished(call: CallInfo, code: grpc.status, seconds: number) {
      metrics?.finished(call, code, seconds);
      const line = {
        method: call.path,
        code: grpc.status[code],
        durationMs: Math.round(seconds * 100_000) / 100,
      };
      if (code === grpc.status.INTERNAL || code === grpc.status.UNAVAILABLE) log.warn(line, "call");
      // Probes and reflection call often; their lines are for debugging only.
      else if (call.service.startsWith("grpc.")) log.debug(line, "call");
      else log.info(line, "call");
    },
  };
}

/** Counts unary calls in flight; past `limit`, new calls fail fast instead of queueing. */
function admission(limit: number): () => () => void {
  let inFlight = 0;
  return () => {
    if (inFlight >= limit) {
      throw new StatusError(
        grpc.status.RESOURCE_EXHAUSTED,
        `too many calls in flight (${limit}); retry with backoff`,
        "TOO_MANY_CALLS_IN_FLIGHT",
      );
    }
    inFlight++;
    let released = false;
    return () => {
      if (!released) inFlight--;
      released = true;
    };
  };
}

function healthService(): GenService<GenServiceMethods> {
  const service = file_grpc_health_v1_health.services[0];
  if (service === undefined) throw new Error("health.proto declares no service");
  return service as GenService<GenServiceMethods>;
}
