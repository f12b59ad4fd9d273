/** TaskRunService: thin handlers of validated requests: call the use cases, map the results. */

import { timestampDate } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import type { TaskRunService } from "../../../../gen/flowgate/v1/task_run_pb.js";
import { pageRequest } from "../../../application/paging.ts";
import type { TaskRunUseCases } from "../../../application/task-runs.ts";
import type { RunWatcher } from "../../../application/watch-run.ts";
import type { OrchestrationTelemetry } from "../../orchestration-telemetry.ts";
import type { HandlersFor } from "../bridge.ts";
import { StatusError } from "../errors.ts";
import { orchestrationResultToProto } from "../mappers/orchestration.ts";
import { stateInitFromProto, stateToProto, stateTypeFromProto } from "../mappers/states.ts";
import { taskPolicyFromProto, taskRunToProto } from "../mappers/task-run.ts";
import { optionalUuid, uuid } from "../validate.ts";

export function taskRunServiceHandlers(
  taskRuns: TaskRunUseCases,
  watcher: RunWatcher,
  telemetry: OrchestrationTelemetry,
): HandlersFor<typeof TaskRunService> {
  return {
    async createTaskRun(request) {
      const { record, created } = await taskRuns.create(
        {
          flowRunId: optionalUuid(request.flowRunId),
          taskKey: request.taskKey,
          dynamicKey: request.dynamicKey,
          name: request.name === "" ? request.taskKey : request.name,
          tags: [...new Set(request.tags)],
          cacheKey: request.cacheKey === "" ? null : request.cacheKey,
          cacheExpiration:
            request.cacheExpiration === undefined ? null : timestampDate(request.cacheExpiration),
          empiricalPolicy: taskPolicyFromProto(request.empiricalPolicy),
        },
        request.state === undefined ? null : stateInitFromProto(request.state),
      );
      return { taskRun: taskRunToProto(record), created };
    },
    async getTaskRun(request) {
      return {
        taskRun: taskRunToProto(await taskRuns.get(uuid(request.taskRunId))),
      };
    },
    async listTaskRuns(request) {
      const page = await taskRuns.list(
        {
          flowRunId: optionalUuid(request.flowRunId),
          stateTypes: request.stateTypes.map(stateTypeFromProto),
          tags: request.tags,
        },
        pageRequest(request.pageSize, request.pageToken),
      );
      return { taskRuns: page.items.map(taskRunToProto), nextPageToken: page.nextPageToken };
    },
    async deleteTaskRun(request) {
      await taskRuns.delete(uuid(request.taskRunId));
      return {};
    },
    async setTaskRunState(request, call) {
      const taskRunId = uuid(request.taskRunId);
      const state = stateInitFromProto(request.state);
      const result = await telemetry.observe(
        { runKind: "task_run", runId: taskRunId, dryRun: request.dryRun },
        () =>
          taskRuns.setState({
            taskRunId,
            state,
            force: request.force,
            dryRun: request.dryRun,
            signal: call.signal,
          }),
        call.span,
      );
      return { result: orchestrationResultToProto(result) };
    },
    async listTaskRunStates(request) {
      const states = await taskRuns.listStates(uuid(request.taskRunId));
      return { states: states.map(stateToProto) };
    },
    async watchTaskRun(request, call, send) {
      const taskRunId = uuid(request.taskRunId);
      await watcher.watch(taskRunId, call.signal, (state) => send({ state: stateToProto(state) }));
      // Ended by the client or by the server's drain: not an OK end.
      if (call.signal.aborted) throw new StatusError(grpc.status.CANCELLED, "watch cancelled");
    },
  };
}
