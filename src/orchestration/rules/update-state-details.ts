/**
 * UpdateStateDetails (spec §4.3; flow and task): a state always names the run it belongs
 * to, whatever the client sent: a flow run's state its flow run; a task run's state the
 * task run and its flow run (or none, for autonomous task runs).
 */
import type { Run } from "../../domain/index.ts";
import type { OrchestrationContext } from "../context.ts";
import type { CoreDeps } from "../ports.ts";
import { UniversalTransform } from "../transform.ts";

/** Overwrites the run ids in the proposal's details. */
export class UpdateStateDetails extends UniversalTransform<Run, CoreDeps> {
  static override readonly ruleName = "UpdateStateDetails";

  protected override async beforeTransition(
    context: OrchestrationContext<Run, CoreDeps>,
  ): Promise<void> {
    const proposed = context.proposedState;
    if (proposed === null) return;
    const run = context.run;
    if ("taskKey" in run) {
      proposed.stateDetails.flowRunId = run.flowRunId;
      proposed.stateDetails.taskRunId = run.id;
    } else {
      proposed.stateDetails.flowRunId = run.id;
    }
  }
}
