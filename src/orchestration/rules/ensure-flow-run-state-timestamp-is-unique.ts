/**
 * EnsureFlowRunStateTimestampIsUnique (spec §4.3, §8.2.5): flow-run states are unique per
 * (run, timestamp), and server-minted timestamps can collide on coarse clocks. Bumping the
 * proposal's timestamp until it is free keeps the insert from failing; it runs first so
 * every later transform sees the final timestamp. Prefect bumps by 1 µs; our timestamps are
 * JavaScript dates (millisecond resolution), so we bump by 1 ms.
 */
import type { FlowRun } from "../../domain/index.ts";
import type { FlowContext } from "../flow-context.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { UniversalTransform } from "../transform.ts";

/** The smallest step a state timestamp can move. */
const TIMESTAMP_RESOLUTION_MS = 1;

/** Moves the proposal's timestamp forward until no state of the run has it. */
export class EnsureFlowRunStateTimestampIsUnique extends UniversalTransform<
  FlowRun,
  FlowOrchestrationDeps
> {
  static override readonly ruleName = "EnsureFlowRunStateTimestampIsUnique";

  protected override async beforeTransition(context: FlowContext): Promise<void> {
    const proposed = context.proposedState;
    if (proposed === null) return;
    let timestamp = proposed.timestamp;
    while (await context.deps.flowRunStates.hasStateAt(context.run.id, timestamp)) {
      timestamp = new Date(timestamp.getTime() + TIMESTAMP_RESOLUTION_MS);
    }
    proposed.timestamp = timestamp;
  }
}
