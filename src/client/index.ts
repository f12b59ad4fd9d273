/**
 * The flowgate TypeScript client (`flowgate/client`): typed clients for every service over
 * gRPC, with transition ids and retries filled in. A thin layer over the generated code in
 * gen/; the generated types and enums callers need are re-exported here.
 */

export { ConcurrencyLimitService } from "../../gen/flowgate/v1/concurrency_limit_pb.js";
export { CollisionStrategy, DeploymentService } from "../../gen/flowgate/v1/deployment_pb.js";
export { FlowService } from "../../gen/flowgate/v1/flow_pb.js";
export { FlowRunService } from "../../gen/flowgate/v1/flow_run_pb.js";
export { SetStateStatus } from "../../gen/flowgate/v1/orchestration_pb.js";
export { StateType } from "../../gen/flowgate/v1/states_pb.js";
export { TaskRunService } from "../../gen/flowgate/v1/task_run_pb.js";
export type { FlowgateClient, FlowgateClientOptions, TlsOptions } from "./client.ts";
export { baseUrlOf, createFlowgateClient, DEFAULT_ADDRESS } from "./client.ts";
export type { RetryEvent, RetryOptions } from "./retry.ts";
export { backoffDelayMs, isRetryable, isSafeToReplay, retryInterceptor } from "./retry.ts";
export { newTransitionId, transitionIdInterceptor } from "./transition-ids.ts";
