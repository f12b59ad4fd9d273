/**
 * SetExpectedStartTime (spec §4.3; flow and task): when a run was first expected to start —
 * its first scheduled time, or the time of its first state if it was never scheduled —
 * from which the start delay of a run is estimated. Set once.
 */
import type { Run } from "../../domain/index.ts";
import type { OrchestrationContext } from "../context.ts";
import type { CoreDeps } from "../ports.ts";
import { UniversalTransform } from "../transform.ts";

/** Records the run's first expected start time. */
export class SetExpectedStartTime extends UniversalTransform<Run, CoreDeps> {
  static override readonly ruleName = "SetExpectedStartTime";

  protected override async beforeTransition(
    context: OrchestrationContext<Run, CoreDeps>,
  ): Promise<void> {
    const proposed = context.proposedState;
    if (proposed === null) return;
    if (context.run.expectedStartTime !== null) return;
    context.run.expectedStartTime =
      proposed.type === "SCHEDULED"
        ? (proposed.stateDetails.scheduledTime ?? null)
        : proposed.timestamp;
  }
}
