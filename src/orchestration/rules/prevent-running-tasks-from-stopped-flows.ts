/**
 * PreventRunningTasksFromStoppedFlows (spec §4.2): a task runs only while its flow run
 * runs. If the flow run is paused the task is parked in PAUSED "NotReady" (a brand-new
 * state carrying the flow's pause timeout and reschedule flag, never the flow's state id,
 * §8.3.4); if the flow run has no state or any other state, the task is aborted. Autonomous
 * task runs (no flow run) and tasks whose flow run was deleted are not constrained.
 */
import { type State, StateType, type TaskRun } from "../../domain/index.ts";
import { newState } from "../new-state.ts";
import type { TaskOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { ALL_ORCHESTRATION_STATES, stateTypes } from "../step.ts";
import type { TaskContext } from "../task-context.ts";

const MUST_BE_RUNNING = "The enclosing flow must be running to begin task execution.";

/** Aborts or parks RUNNING proposals of tasks whose flow run is not running. */
export class PreventRunningTasksFromStoppedFlows extends OrchestrationRule<
  TaskRun,
  TaskOrchestrationDeps
> {
  static override readonly ruleName = "PreventRunningTasksFromStoppedFlows";
  static override readonly FROM_STATES = ALL_ORCHESTRATION_STATES;
  static override readonly TO_STATES = stateTypes(StateType.RUNNING);

  protected override async beforeTransition(
    _initial: State | null,
    _proposed: State | null,
    context: TaskContext,
  ): Promise<void> {
    const { run, deps } = context;
    if (run.flowRunId === null) return;
    const flowRun = await deps.flowRuns.readFlowRun(run.flowRunId);
    if (flowRun === null) return;
    const flowState = flowRun.state;
    if (flowState === null) {
      this.abortTransition(MUST_BE_RUNNING);
    } else if (flowState.type === StateType.PAUSED) {
      const notReady = newState(deps, {
        type: StateType.PAUSED,
        name: "NotReady",
        stateDetails: {
          pauseTimeout: flowState.stateDetails.pauseTimeout ?? null,
          pauseReschedule: flowState.stateDetails.pauseReschedule ?? false,
          pauseKey: null,
        },
      });
      this.rejectTransition(
        notReady,
        `The flow is paused, new tasks can execute after resuming flow run: ${flowRun.run.id}.`,
      );
    } else if (flowState.type !== StateType.RUNNING) {
      this.abortTransition(MUST_BE_RUNNING);
    }
  }
}
