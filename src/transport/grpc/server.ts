/**
 * The gRPC server: flowgate's services, health and reflection on one grpc-js server, one
 * JSON log line per call, and a graceful drain (health NOT_SERVING, stop accepting, let
 * in-flight calls finish within the grace period, then cancel what is left).
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
import type { Logger } from "../../logger.ts";
import type { Clock } from "../../orchestration/index.ts";
import type { Metrics } from "../metrics.ts";
import type { Tracing } from "../tracing.ts";
import type { Authenticator } from "./auth.ts";
import { addService, type CallObserver, type CallPipeline } from "./bridge.ts";
import { StatusError } from "./errors.ts";
import { concurrencyLimitServiceHandlers } from "./handlers/concurrency-limit-service.ts";
import { deploymentServiceHandlers } from "./handlers/deployment-service.ts";
import { flowRunServiceHandlers } from "./handlers/flow-run-service.ts";
import { flowServiceHandlers } from "./handlers/flow-service.ts";
import { resumeFlowRunHandler } from "./handlers/resume-flow-run.ts";
import { taskRunServiceHandlers } from "./handlers/task-run-service.ts";
import { addHealth, type Health } from "./health.ts";
import { addReflection } from "./reflection.ts";

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
  /** Binds and starts serving; resolves to the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number>;
  /** Drains: NOT_SERVING, refuse new calls, wait up to `graceMs` for in-flight ones, then force. */
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
  /** Larger requests are refused (RESOURCE_EXHAUSTED) before they are decoded. */
  readonly maxMessageBytes: number;
}

export function createGrpcServer(useCases: UseCases, options: GrpcServerOptions): GrpcServer {
  const { log, metrics } = options;
  const server = new grpc.Server({
    "grpc.keepalive_time_ms": options.keepaliveTimeMs,
    "grpc.keepalive_timeout_ms": options.keepaliveTimeoutMs,
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.max_connection_age_ms": options.maxConnectionAgeMs,
    "grpc.max_connection_age_grace_ms": options.maxConnectionAgeGraceMs,
    "grpc.max_receive_message_length": options.maxMessageBytes,
  });
  const observe: CallObserver = (method, code, durationMs) => {
    const line = {
      method,
      code: grpc.status[code],
      durationMs: Math.round(durationMs * 100) / 100,
    };
    if (code === grpc.status.INTERNAL || code === grpc.status.UNAVAILABLE) log.warn(line, "call");
    else log.info(line, "call");
    metrics?.rpc(method, grpc.status[code], durationMs / 1000);
  };
  const pipeline: CallPipeline = {
    observe,
    log,
    authenticate: options.authenticate,
    admit: options.maxInFlight > 0 ? admission(options.maxInFlight) : undefined,
    tracing: options.tracing,
  };
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
        metrics,
      ),
      ...resumeFlowRunHandler(useCases.resumeFlowRun),
    },
    pipeline,
  );
  addService(
    server,
    TaskRunService,
    taskRunServiceHandlers(useCases.taskRuns, useCases.taskRunWatcher, metrics),
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

  return {
    health,
    listen(host, port) {
      return new Promise((resolve, reject) => {
        server.bindAsync(
          `${host}:${port}`,
          grpc.ServerCredentials.createInsecure(),
          (error, bound) => {
            if (error) return reject(error);
            health.set("SERVING");
            resolve(bound);
          },
        );
      });
    },
    shutdown(graceMs) {
      health.set("NOT_SERVING");
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

/** Counts unary calls in flight; past `limit`, new calls fail fast instead of queueing. */
function admission(limit: number): () => () => void {
  let inFlight = 0;
  return () => {
    if (inFlight >= limit) {
      throw new StatusError(
        grpc.status.RESOURCE_EXHAUSTED,
        `too many calls in flight (${limit}); retry with backoff`,
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
