/** FlowRunService.ResumeFlowRun. */
import type { FlowRunService } from "../../../../gen/flowgate/v1/flow_run_pb.js";
import type { ResumeFlowRun } from "../../../application/resume-flow-run.ts";
import type { JsonValue } from "../../../domain/index.ts";
import type { HandlersFor } from "../bridge.ts";
import { orchestrationResultToProto } from "../mappers/orchestration.ts";
import { uuid } from "../validate.ts";

export function resumeFlowRunHandler(
  resume: ResumeFlowRun,
): Pick<HandlersFor<typeof FlowRunService>, "resumeFlowRun"> {
  return {
    async resumeFlowRun(request) {
      const flowRunId = uuid(request.flowRunId);
      const runInput = (request.runInput ?? null) as Record<string, JsonValue> | null;
      return { result: orchestrationResultToProto(await resume.resume(flowRunId, runInput)) };
    },
  };
}
