/**
 * HandleTaskTerminalStateTransitions (spec §4.2): what may leave a terminal task state.
 *
 * A finished task cannot be paused, cancelled or crashed, and a COMPLETED task whose result
 * is persisted cannot be reopened or overwritten. Anything else (a rerun, typically because
 * its flow run is retried) resets `run_count` so the task's own retries start over, and a
 * rerun caused by a flow-level retry is named "Retrying". Cleanup restores `run_count` if
 * the transition does not happen after all.
 *
 * Fix §8.3.1: the persisted-result test is the flow rule's (a JSON object whose `type` is
 * not "unpersisted"), so scalar or list data no longer crash the rule.
 */
import {
  isPersistedResult,
  isTerminalStateType,
  type State,
  StateType,
  type TaskRun,
  TERMINAL_STATE_TYPES,
} from "../../domain/index.ts";
import type { TaskOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { ALL_ORCHESTRATION_STATES, stateTypes } from "../step.ts";
import type { TaskContext } from "../task-context.ts";

const CANNOT_LEAVE_TERMINAL = stateTypes(StateType.CANCELLING, StateType.PAUSED, StateType.CRASHED);

/** Guards transitions out of COMPLETED, CANCELLED, FAILED and CRASHED task states. */
export class HandleTaskTerminalStateTransitions extends OrchestrationRule<
  TaskRun,
  TaskOrchestrationDeps
> {
  static override readonly ruleName = "HandleTaskTerminalStateTransitions";
  static override readonly FROM_STATES = stateTypes(...TERMINAL_STATE_TYPES);
  static override readonly TO_STATES = ALL_ORCHESTRATION_STATES;

  #originalRunCount: number | null = null;

  protected override async beforeTransition(
    initial: State | null,
    proposed: State | null,
    context: TaskContext,
  ): Promise<void> {
    if (initial === null || proposed === null) return;
    const { run, deps } = context;
    this.#originalRunCount = run.runCount;

    if (CANNOT_LEAVE_TERMINAL.has(proposed.type)) {
      this.abortTransition(`Run is already ${initial.type}.`);
      return;
    }
    if (initial.type === StateType.COMPLETED && isPersistedResult(initial.data)) {
      this.rejectTransition(null, "This run is already completed.");
      return;
    }
    if (!isTerminalStateType(proposed.type)) run.runCount = 0;
    if (proposed.type === StateType.RUNNING && run.flowRunId !== null) {
      const flowRun = await deps.flowRuns.readFlowRun(run.flowRunId);
      if (flowRun !== null && run.flowRunRunCount < flowRun.run.runCount) {
        this.renameState("Retrying");
      }
    }
  }

  protected override async cleanup(
    _initial: State | null,
    _validated: State | null,
    context: TaskContext,
  ): Promise<void> {
    if (this.#originalRunCount !== null) context.run.runCount = this.#originalRunCount;
  }
}
