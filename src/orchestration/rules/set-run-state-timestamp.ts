/**
 * SetRunStateTimestamp (spec §4.3; flow and task): the run row carries its current state's
 * timestamp, from which the estimated run time of a RUNNING run is computed on read.
 */
import type { Run } from "../../domain/index.ts";
import type { OrchestrationContext } from "../context.ts";
import type { CoreDeps } from "../ports.ts";
import { UniversalTransform } from "../transform.ts";

/** Copies the final proposal's timestamp onto the run. */
export class SetRunStateTimestamp extends UniversalTransform<Run, CoreDeps> {
  static override readonly ruleName = "SetRunStateTimestamp";

  protected override async beforeTransition(
    context: OrchestrationContext<Run, CoreDeps>,
  ): Promise<void> {
    const proposed = context.proposedState;
    if (proposed === null) return;
    context.run.stateTimestamp = proposed.timestamp;
  }
}
