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
import { addService, type CallObserver } from "./bridge.ts";
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

export function createGrpcServer(useCases: UseCases, log: Logger): GrpcServer {
  const server = new grpc.Server();
  const observe: CallObserver = (method, code, durationMs) => {
    const line = {
      method,
      code: grpc.status[code],
      durationMs: Math.round(durationMs * 100) / 100,
    };
    if (code === grpc.status.INTERNAL || code === grpc.status.UNAVAILABLE) log.warn(line, "call");
    else log.info(line, "call");
  };
  addService(server, FlowService, flowServiceHandlers(useCases.flows), observe, log);
  addService(
    server,
    DeploymentService,
    deploymentServiceHandlers(useCases.deployments),
    observe,
    log,
  );
  addService(
    server,
    FlowRunService,
    {
      ...flowRunServiceHandlers(useCases.flowRuns, useCases.flowRunWatcher, useCases.clock),
      ...resumeFlowRunHandler(useCases.resumeFlowRun),
    },
    observe,
    log,
  );
  addService(
    server,
    TaskRunService,
    taskRunServiceHandlers(useCases.taskRuns, useCases.taskRunWatcher),
    observe,
    log,
  );
  addService(
    server,
    ConcurrencyLimitService,
    concurrencyLimitServiceHandlers(useCases.leases, useCases.tagLimits),
    observe,
    log,
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

function healthService(): GenService<GenServiceMethods> {
  const service = file_grpc_health_v1_health.services[0];
  if (service === undefined) throw new Error("health.proto declares no service");
  return service as GenService<GenServiceMethods>;
}
