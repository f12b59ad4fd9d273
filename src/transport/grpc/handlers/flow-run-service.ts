/** FlowRunService: thin handlers of validated requests: call the use cases, map the results. */
import * as grpc from "@grpc/grpc-js";
import type { FlowRunService } from "../../../../gen/flowgate/v1/flow_run_pb.js";
import type { FlowRunUseCases } from "../../../application/flow-runs.ts";
import { pageRequest } from "../../../application/paging.ts";
import type { RunWatcher } from "../../../application/watch-run.ts";
import type { JsonValue } from "../../../domain/index.ts";
import type { Clock } from "../../../orchestration/index.ts";
import type { OrchestrationTelemetry } from "../../orchestration-telemetry.ts";
import type { HandlersFor } from "../bridge.ts";
import { StatusError } from "../errors.ts";
import { flowRunToProto, policyFromProto } from "../mappers/flow-run.ts";
import { orchestrationResultToProto } from "../mappers/orchestration.ts";
import { stateInitFromProto, stateToProto, stateTypeFromProto } from "../mappers/states.ts";
import { optionalUuid, uuid } from "../validate.ts";

const optionalText = (value: string) => (value === "" ? null : value);

export function flowRunServiceHandlers(
  flowRuns: FlowRunUseCases,
  watcher: RunWatcher,
  clock: Clock,
  telemetry: OrchestrationTelemetry,
): Omit<HandlersFor<typeof FlowRunService>, "resumeFlowRun"> {
  return {
    async createFlowRun(request) {
      const { record, created } = await flowRuns.create(
        {
          flowId: uuid(request.flowId),
          deploymentId: optionalUuid(request.deploymentId),
          name: request.name === "" ? defaultRunName() : request.name,
          parameters: (request.parameters ?? {}) as Record<string, JsonValue>,
          tags: [...new Set(request.tags)],
          parentTaskRunId: optionalUuid(request.parentTaskRunId),
          infrastructurePid: optionalText(request.infrastructurePid),
          idempotencyKey: optionalText(request.idempotencyKey),
          empiricalPolicy: policyFromProto(request.empiricalPolicy),
        },
        request.state === undefined ? null : stateInitFromProto(request.state),
      );
      return { flowRun: flowRunToProto(record, clock.now()), created };
    },
    async getFlowRun(request) {
      const record = await flowRuns.get(uuid(request.flowRunId));
      return { flowRun: flowRunToProto(record, clock.now()) };
    },
    async listFlowRuns(request) {
      const page = await flowRuns.list(
        {
          flowId: optionalUuid(request.flowId),
          deploymentId: optionalUuid(request.deploymentId),
          stateTypes: request.stateTypes.map(stateTypeFromProto),
          tags: request.tags,
        },
        pageRequest(request.pageSize, request.pageToken),
      );
      const now = clock.now();
      return {
        flowRuns: page.items.map((record) => flowRunToProto(record, now)),
        nextPageToken: page.nextPageToken,
      };
    },
    async deleteFlowRun(request) {
      await flowRuns.delete(uuid(request.flowRunId));
      return {};
    },
    async setFlowRunState(request, call) {
      const flowRunId = uuid(request.flowRunId);
      const state = stateInitFromProto(request.state);
      const result = await telemetry.observe(
        { runKind: "flow_run", runId: flowRunId, dryRun: request.dryRun },
        () =>
          flowRuns.setState({
            flowRunId,
            state,
            force: request.force,
            dryRun: request.dryRun,
            signal: call.signal,
          }),
        call.span,
      );
      return { result: orchestrationResultToProto(result) };
    },
    async listFlowRunStates(request) {
      const states = await flowRuns.listStates(uuid(request.flowRunId));
      return { states: states.map(stateToProto) };
    },
    async watchFlowRun(request, call, send) {
      const flowRunId = uuid(request.flowRunId);
      await watcher.watch(flowRunId, call.signal, (state) => send({ state: stateToProto(state) }));
      // Ended by the client or by the server's drain: not an OK end.
      if (call.signal.aborted) throw new StatusError(grpc.status.CANCELLED, "watch cancelled");
    },
    async createFlowRunInput(request) {
      const flowRunId = uuid(request.flowRunId);
      await flowRuns.putInput(flowRunId, request.key, request.value);
      return { flowRunInput: { flowRunId, key: request.key, value: request.value } };
    },
    async getFlowRunInput(request) {
      const flowRunId = uuid(request.flowRunId);
      const { key } = request;
      return { flowRunInput: { flowRunId, key, value: await flowRuns.getInput(flowRunId, key) } };
    },
  };
}

/** Prefect names unnamed runs with two random words; a short random suffix serves the same purpose. */
function defaultRunName(): string {
  return `flow-run-${Math.random().toString(36).slice(2, 10)}`;
}
