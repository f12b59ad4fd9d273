/** FlowRunService.ResumeFlowRun. */
import type { FlowRunService } from "../../../../gen/flowgate/v1/flow_run_pb.js";
import type { ResumeFlowRun } from "../../../application/resume-flow-run.ts";
import type { JsonValue } from "../../../domain/index.ts";
import type { OrchestrationTelemetry } from "../../orchestration-telemetry.ts";
import type { HandlersFor } from "../bridge.ts";
import { orchestrationResultToProto } from "../mappers/orchestration.ts";
import { uuid } from "../validate.ts";

export function resumeFlowRunHandler(
  resume: ResumeFlowRun,
  telemetry: OrchestrationTelemetry,
): Pick<HandlersFor<typeof FlowRunService>, "resumeFlowRun"> {
  return {
    async resumeFlowRun(request, call) {
      const flowRunId = uuid(request.flowRunId);
      const runInput = (request.runInput ?? null) as Record<string, JsonValue> | null;
      const result = await telemetry.observe(
        { runKind: "flow_run", runId: flowRunId, dryRun: false },
        () => resume.resume(flowRunId, runInput),
        call.span,
      );
      return { result: orchestrationResultToProto(result) };
    },
  };
}
