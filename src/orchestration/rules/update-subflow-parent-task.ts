/**
 * UpdateSubflowParentTask (spec §4.3, §2.10): a subflow is represented in its parent flow
 * by a task run, which must mirror every state the subflow commits (so the parent sees the
 * subflow running, failing, ...). The mirror is a fresh copy (new id, timestamp now) that
 * names the subflow as `childFlowRunId`, forced onto the task run in the same transaction
 * through the {@link SubflowParentTasks} port. Until task runs exist the port is absent and
 * this does nothing.
 */
import { type FlowRun, freshCopy } from "../../domain/index.ts";
import type { FlowContext } from "../flow-context.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { UniversalTransform } from "../transform.ts";

/** Forces each committed subflow state onto the subflow's parent task run. */
export class UpdateSubflowParentTask extends UniversalTransform<FlowRun, FlowOrchestrationDeps> {
  static override readonly ruleName = "UpdateSubflowParentTask";

  protected override async afterTransition(context: FlowContext): Promise<void> {
    const { run, deps, validatedState } = context;
    const parentTasks = deps.subflowParentTasks;
    if (this.isNullified() || validatedState === null || parentTasks === undefined) return;
    if (run.parentTaskRunId === null) return;
    const mirror = freshCopy(validatedState, deps.ids.newId(), deps.clock.now());
    mirror.stateDetails.childFlowRunId = run.id;
    await parentTasks.forceParentTaskState(run.parentTaskRunId, mirror);
  }
}
