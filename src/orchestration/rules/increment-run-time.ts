/**
 * IncrementRunTime (spec §4.3; flow and task): total run time accumulates every span spent
 * in RUNNING, measured between the RUNNING state and the state that follows it (also
 * RUNNING → RUNNING).
 */
import type { Run } from "../../domain/index.ts";
import type { OrchestrationContext } from "../context.ts";
import type { CoreDeps } from "../ports.ts";
import { UniversalTransform } from "../transform.ts";

/** Adds the time spent in the RUNNING state being left to the run's total. */
export class IncrementRunTime extends UniversalTransform<Run, CoreDeps> {
  static override readonly ruleName = "IncrementRunTime";

  protected override async beforeTransition(
    context: OrchestrationContext<Run, CoreDeps>,
  ): Promise<void> {
    const proposed = context.proposedState;
    if (proposed === null) return;
    const initial = context.initialState;
    if (initial?.type !== "RUNNING") return;
    const seconds = (proposed.timestamp.getTime() - initial.timestamp.getTime()) / 1000;
    context.run.totalRunTime += seconds;
  }
}
