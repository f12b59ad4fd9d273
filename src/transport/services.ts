/**
 * flowgate's services and their handlers, built once from the use cases and served by both
 * servers (grpc-js on the gRPC port, connect-node on the HTTP port).
 */
import { ConcurrencyLimitService } from "../../gen/flowgate/v1/concurrency_limit_pb.js";
import { DeploymentService } from "../../gen/flowgate/v1/deployment_pb.js";
import { FlowService } from "../../gen/flowgate/v1/flow_pb.js";
import { FlowRunService } from "../../gen/flowgate/v1/flow_run_pb.js";
import { TaskRunService } from "../../gen/flowgate/v1/task_run_pb.js";
import type { DeploymentUseCases } from "../application/deployments.ts";
import type { FlowRunUseCases } from "../application/flow-runs.ts";
import type { FlowUseCases } from "../application/flows.ts";
import type { LeaseUseCases } from "../application/leases.ts";
import type { ResumeFlowRun } from "../application/resume-flow-run.ts";
import type { TagLimitUseCases } from "../application/tag-limits.ts";
import type { TaskRunUseCases } from "../application/task-runs.ts";
import type { RunWatcher } from "../application/watch-run.ts";
import type { Clock } from "../orchestration/index.ts";
import { concurrencyLimitServiceHandlers } from "./grpc/handlers/concurrency-limit-service.ts";
import { deploymentServiceHandlers } from "./grpc/handlers/deployment-service.ts";
import { flowRunServiceHandlers } from "./grpc/handlers/flow-run-service.ts";
import { flowServiceHandlers } from "./grpc/handlers/flow-service.ts";
import { resumeFlowRunHandler } from "./grpc/handlers/resume-flow-run.ts";
import { taskRunServiceHandlers } from "./grpc/handlers/task-run-service.ts";
import { bindService, type ServiceBinding } from "./handlers.ts";
import type { OrchestrationTelemetry } from "./orchestration-telemetry.ts";

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

/** Every flowgate service bound to its handlers (health and reflection are the gRPC port's alone). */
export function flowgateServices(
  useCases: UseCases,
  orchestrations: OrchestrationTelemetry,
): readonly ServiceBinding[] {
  return [
    bindService(FlowService, flowServiceHandlers(useCases.flows)),
    bindService(DeploymentService, deploymentServiceHandlers(useCases.deployments)),
    bindService(FlowRunService, {
      ...flowRunServiceHandlers(
        useCases.flowRuns,
        useCases.flowRunWatcher,
        useCases.clock,
        orchestrations,
      ),
      ...resumeFlowRunHandler(useCases.resumeFlowRun, orchestrations),
    }),
    bindService(
      TaskRunService,
      taskRunServiceHandlers(useCases.taskRuns, useCases.taskRunWatcher, orchestrations),
    ),
    bindService(
      ConcurrencyLimitService,
      concurrencyLimitServiceHandlers(useCases.leases, useCases.tagLimits),
    ),
  ];
}
