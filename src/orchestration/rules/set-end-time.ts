/**
 * SetEndTime (spec §4.3; flow and task): a run ends when it first reaches a final state; a
 * run that reaches one without ever running gets the same start time. Reopening a finished
 * run (a manual retry) clears the end time; final → final keeps the first end time.
 */
import { isTerminalStateType, type Run } from "../../domain/index.ts";
import type { OrchestrationContext } from "../context.ts";
import type { CoreDeps } from "../ports.ts";
import { UniversalTransform } from "../transform.ts";

/** Maintains the run's end time (and start time of runs that never ran). */
export class SetEndTime extends UniversalTransform<Run, CoreDeps> {
  static override readonly ruleName = "SetEndTime";

  protected override async beforeTransition(
    context: OrchestrationContext<Run, CoreDeps>,
  ): Promise<void> {
    const proposed = context.proposedState;
    if (proposed === null) return;
    const run = context.run;
    const proposedFinal = isTerminalStateType(proposed.type);
    if (isTerminalStateType(context.initialStateType) && !proposedFinal) run.endTime = null;
    if (proposedFinal && run.endTime === null) {
      run.startTime ??= proposed.timestamp;
      run.endTime = proposed.timestamp;
    }
  }
}
