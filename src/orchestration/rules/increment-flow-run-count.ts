/**
 * IncrementFlowRunCount (spec §4.3): `run_count` counts executions, which RetryFailedFlows
 * compares with `retries`. Entering RUNNING is a new execution, except when the run resumes
 * from a suspension (`resuming`), which continues the same one. The API-version gate is
 * dropped (preface): behaves as for the newest client.
 */
import type { FlowRun } from "../../domain/index.ts";
import type { FlowContext } from "../flow-context.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { UniversalTransform } from "../transform.ts";

/** Counts every RUNNING state that is not a resume. */
export class IncrementFlowRunCount extends UniversalTransform<FlowRun, FlowOrchestrationDeps> {
  static override readonly ruleName = "IncrementFlowRunCount";

  protected override async beforeTransition(context: FlowContext): Promise<void> {
    const proposed = context.proposedState;
    if (proposed === null || proposed.type !== "RUNNING") return;
    if (context.run.empiricalPolicy.resuming) return;
    context.run.runCount += 1;
  }
}
