/**
 * UpdateSubflowStateDetails (spec §4.3): a subflow's states name the parent task run that
 * stands for the subflow in its parent flow, so clients can walk from a state to the task.
 * It needs nothing but the run's `parentTaskRunId`.
 */
import type { FlowRun } from "../../domain/index.ts";
import type { FlowContext } from "../flow-context.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { UniversalTransform } from "../transform.ts";

/** Writes the parent task run id into a subflow's proposed state details. */
export class UpdateSubflowStateDetails extends UniversalTransform<FlowRun, FlowOrchestrationDeps> {
  static override readonly ruleName = "UpdateSubflowStateDetails";

  protected override async beforeTransition(context: FlowContext): Promise<void> {
    const proposed = context.proposedState;
    if (proposed === null || context.run.parentTaskRunId === null) return;
    proposed.stateDetails.taskRunId = context.run.parentTaskRunId;
  }
}
