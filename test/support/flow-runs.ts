/** Factories for flow-run e2e tests: each call makes fresh rows, nothing is shared. */
import { randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type CreateDeploymentRequestSchema,
  DeploymentService,
} from "../../gen/flowgate/v1/deployment_pb.js";
import { FlowService } from "../../gen/flowgate/v1/flow_pb.js";
import {
  type CreateFlowRunRequestSchema,
  FlowRunService,
} from "../../gen/flowgate/v1/flow_run_pb.js";
import { type StateCreateSchema, StateType } from "../../gen/flowgate/v1/states_pb.js";
import type { TestServer } from "./server.ts";

export function flowRunHelpers(server: TestServer) {
  const flows = server.client(FlowService);
  const deployments = server.client(DeploymentService);
  const runs = server.client(FlowRunService);

  async function newFlow(): Promise<string> {
    return (await flows.createFlow({ name: `flow-${randomUUID()}` })).flow!.id;
  }

  return {
    runs,
    newFlow,
    async newDeployment(
      init: Pick<
        MessageInitShape<typeof CreateDeploymentRequestSchema>,
        "concurrencyLimit" | "concurrencyOptions"
      > = {},
    ) {
      const flowId = await newFlow();
      const { deployment } = await deployments.createDeployment({ flowId, name: "prod", ...init });
      return { flowId, deploymentId: deployment!.id };
    },
    async newRun(init: MessageInitShape<typeof CreateFlowRunRequestSchema> = {}) {
      const flowId = init.flowId || (await newFlow());
      return (await runs.createFlowRun({ ...init, flowId })).flowRun!;
    },
    /** Proposes a state and returns the OrchestrationResult. */
    async propose(
      flowRunId: string,
      state: MessageInitShape<typeof StateCreateSchema>,
      force = false,
    ) {
      return (await runs.setFlowRunState({ flowRunId, state, force })).result!;
    },
    async get(flowRunId: string) {
      return (await runs.getFlowRun({ flowRunId })).flowRun!;
    },
  };
}

/** A SCHEDULED state whose time has come. */
export function scheduledNow(): MessageInitShape<typeof StateCreateSchema> {
  return {
    type: StateType.SCHEDULED,
    stateDetails: { scheduledTime: timestampFromDate(new Date(Date.now() - 1000)) },
  };
}

/** The reason of a REJECT/WAIT/ABORT result ("" for ACCEPT). */
export function reasonOf(result: {
  details: { case: string | undefined; value?: unknown };
}): string {
  const value = result.details.value as { reason?: string } | undefined;
  return value?.reason ?? "";
}
