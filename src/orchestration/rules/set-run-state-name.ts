/**
 * SetRunStateName (spec §4.3; flow and task): the run row carries its current state's name
 * (e.g. the late-runs service selects runs named "Scheduled").
 */
import type { Run } from "../../domain/index.ts";
import type { OrchestrationContext } from "../context.ts";
import type { CoreDeps } from "../ports.ts";
import { UniversalTransform } from "../transform.ts";

/** Copies the final proposal's name onto the run. */
export class SetRunStateName extends UniversalTransform<Run, CoreDeps> {
  static override readonly ruleName = "SetRunStateName";

  protected override async beforeTransition(
    context: OrchestrationContext<Run, CoreDeps>,
  ): Promise<void> {
    const proposed = context.proposedState;
    if (proposed === null) return;
    context.run.stateName = proposed.name;
  }
}
