/**
 * SetNextScheduledStartTime (spec §4.3; flow and task): the run row carries when it is next
 * due while it waits in SCHEDULED (the late-runs service selects on it), and nothing once
 * it leaves SCHEDULED.
 */
import type { Run } from "../../domain/index.ts";
import type { OrchestrationContext } from "../context.ts";
import type { CoreDeps } from "../ports.ts";
import { UniversalTransform } from "../transform.ts";

/** Tracks the scheduled time of a SCHEDULED run on the run row. */
export class SetNextScheduledStartTime extends UniversalTransform<Run, CoreDeps> {
  static override readonly ruleName = "SetNextScheduledStartTime";

  protected override async beforeTransition(
    context: OrchestrationContext<Run, CoreDeps>,
  ): Promise<void> {
    const proposed = context.proposedState;
    if (proposed === null) return;
    if (context.initialState?.type === "SCHEDULED") context.run.nextScheduledStartTime = null;
    if (proposed.type === "SCHEDULED") {
      context.run.nextScheduledStartTime = proposed.stateDetails.scheduledTime ?? null;
    }
  }
}
