/**
 * UpdateFlowRunTrackerOnTasks (spec §4.2): a task run remembers which attempt of its flow
 * run it last ran in (`flow_run_run_count`), so HandleTaskTerminalStateTransitions can tell
 * a flow-level retry ("Retrying") from a plain rerun. A task whose flow run has vanished
 * fails the transition with NOT_FOUND (Prefect's message).
 */
import {
  type State,
  StateType,
  type TaskRun,
  TaskRunFlowRunNotFoundError,
} from "../../domain/index.ts";
import type { TaskOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { ALL_ORCHESTRATION_STATES, stateTypes } from "../step.ts";
import type { TaskContext } from "../task-context.ts";

/** Copies the flow run's run count onto a task run that entered RUNNING. */
export class UpdateFlowRunTrackerOnTasks extends OrchestrationRule<TaskRun, TaskOrchestrationDeps> {
  static override readonly ruleName = "UpdateFlowRunTrackerOnTasks";
  static override readonly FROM_STATES = ALL_ORCHESTRATION_STATES;
  static override readonly TO_STATES = stateTypes(StateType.RUNNING);

  protected override async afterTransition(
    _initial: State | null,
    _validated: State | null,
    context: TaskContext,
  ): Promise<void> {
    const { run, deps } = context;
    if (run.flowRunId === null) return;
    const flowRun = await deps.flowRuns.readFlowRun(run.flowRunId);
    if (flowRun === null) throw new TaskRunFlowRunNotFoundError(run.id, run.flowRunId);
    run.flowRunRunCount = flowRun.run.runCount;
  }
}
