/**
 * SetStartTime (spec §4.3; flow and task): a run starts when it first enters RUNNING;
 * later RUNNING states (retries, resumes) keep the first start time.
 */
import type { Run } from "../../domain/index.ts";
import type { OrchestrationContext } from "../context.ts";
import type { CoreDeps } from "../ports.ts";
import { UniversalTransform } from "../transform.ts";

/** Sets the run's start time on its first RUNNING state. */
export class SetStartTime extends UniversalTransform<Run, CoreDeps> {
  static override readonly ruleName = "SetStartTime";

  protected override async beforeTransition(
    context: OrchestrationContext<Run, CoreDeps>,
  ): Promise<void> {
    const proposed = context.proposedState;
    if (proposed === null) return;
    if (proposed.type === "RUNNING" && context.run.startTime === null) {
      context.run.startTime = proposed.timestamp;
    }
  }
}
