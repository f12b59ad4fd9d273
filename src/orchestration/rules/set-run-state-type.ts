/**
 * SetRunStateType (spec §4.3; flow and task): the run row carries its current state's type
 * so queries (late runs, workers' polling) need not join the state table. It copies the
 * *final* proposal, i.e. after rules rejected into another state.
 */
import type { Run } from "../../domain/index.ts";
import type { OrchestrationContext } from "../context.ts";
import type { CoreDeps } from "../ports.ts";
import { UniversalTransform } from "../transform.ts";

/** Copies the final proposal's type onto the run. */
export class SetRunStateType extends UniversalTransform<Run, CoreDeps> {
  static override readonly ruleName = "SetRunStateType";

  protected override async beforeTransition(
    context: OrchestrationContext<Run, CoreDeps>,
  ): Promise<void> {
    const proposed = context.proposedState;
    if (proposed === null) return;
    context.run.stateType = proposed.type;
  }
}
