/**
 * CopyTaskParametersID (spec §4.2; BackgroundTaskPolicy): a background task's parameters
 * are stored once, when it is deferred, and found again through `task_parameters_id`; the
 * id must follow the task from SCHEDULED to PENDING to RUNNING unless a proposal names its
 * own.
 */
import { type State, StateType, type TaskRun } from "../../domain/index.ts";
import type { TaskOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { stateTypes } from "../step.ts";

/** Copies the parameters id into a PENDING or RUNNING proposal that has none. */
export class CopyTaskParametersID extends OrchestrationRule<TaskRun, TaskOrchestrationDeps> {
  static override readonly ruleName = "CopyTaskParametersID";
  static override readonly FROM_STATES = stateTypes(StateType.SCHEDULED, StateType.PENDING);
  static override readonly TO_STATES = stateTypes(StateType.PENDING, StateType.RUNNING);

  protected override async beforeTransition(
    initial: State | null,
    proposed: State | null,
  ): Promise<void> {
    if (initial === null || proposed === null) return;
    if (!proposed.stateDetails.taskParametersId) {
      proposed.stateDetails.taskParametersId = initial.stateDetails.taskParametersId ?? null;
    }
  }
}
