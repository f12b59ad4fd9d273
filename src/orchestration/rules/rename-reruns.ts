/**
 * RenameReruns (spec §4.2; generic, task policies only): a run entering RUNNING again says
 * so in its state name — "Retrying" when it comes from an automatic retry
 * ("AwaitingRetry"), "Rerunning" otherwise — so clients and UIs can tell attempts apart.
 * HandleTaskTerminalStateTransitions runs first and may have reset `run_count` to 0, in
 * which case the run counts as new and keeps its name.
 */
import { type Run, type State, StateType } from "../../domain/index.ts";
import type { OrchestrationContext } from "../context.ts";
import type { CoreDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { ALL_ORCHESTRATION_STATES, stateTypes } from "../step.ts";

/** Names RUNNING proposals of runs that ran before. */
export class RenameReruns extends OrchestrationRule<Run, CoreDeps> {
  static override readonly ruleName = "RenameReruns";
  static override readonly FROM_STATES = ALL_ORCHESTRATION_STATES;
  static override readonly TO_STATES = stateTypes(StateType.RUNNING);

  protected override async beforeTransition(
    initial: State | null,
    proposed: State | null,
    context: OrchestrationContext<Run, CoreDeps>,
  ): Promise<void> {
    if (initial === null || proposed === null) return;
    if (context.run.runCount <= 0) return;
    this.renameState(initial.name === "AwaitingRetry" ? "Retrying" : "Rerunning");
  }
}
