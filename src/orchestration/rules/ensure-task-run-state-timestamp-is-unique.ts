/**
 * EnsureTaskRunStateTimestampIsUnique (Fix §8.2.5; flowgate's addition to GlobalTaskPolicy,
 * mirroring EnsureFlowRunStateTimestampIsUnique): task-run states are unique per (run,
 * timestamp), and server-minted timestamps collide on coarse clocks or fast clients, which
 * in Prefect surfaces as an integrity error (409). Bumping the proposal's timestamp by the
 * clock's resolution (1 ms) until it is free keeps the insert from failing; it runs first so
 * every later transform sees the final timestamp.
 */
import type { TaskRun } from "../../domain/index.ts";
import type { TaskOrchestrationDeps } from "../ports.ts";
import type { TaskContext } from "../task-context.ts";
import { UniversalTransform } from "../transform.ts";

/** The smallest step a state timestamp can move. */
const TIMESTAMP_RESOLUTION_MS = 1;

/** Moves the proposal's timestamp forward until no state of the task run has it. */
export class EnsureTaskRunStateTimestampIsUnique extends UniversalTransform<
  TaskRun,
  TaskOrchestrationDeps
> {
  static override readonly ruleName = "EnsureTaskRunStateTimestampIsUnique";

  protected override async beforeTransition(context: TaskContext): Promise<void> {
    const proposed = context.proposedState;
    if (proposed === null) return;
    let timestamp = proposed.timestamp;
    while (await context.deps.taskRunStates.hasStateAt(context.run.id, timestamp)) {
      timestamp = new Date(timestamp.getTime() + TIMESTAMP_RESOLUTION_MS);
    }
    proposed.timestamp = timestamp;
  }
}
