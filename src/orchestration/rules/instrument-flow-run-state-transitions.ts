/**
 * InstrumentFlowRunStateTransitions (spec §4.1; preface "Replace"): every state a flow run
 * commits (accepted, or a rejection into a new state) produces one event, written to the
 * outbox in the transition's transaction, so an event exists iff its state committed.
 * WAIT, ABORT and REJECT-without-state write no state and emit nothing.
 */
import type { FlowRun } from "../../domain/index.ts";
import type { FlowContext } from "../flow-context.ts";
import { flowRunStateEvent } from "../flow-run-event.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { UniversalTransform } from "../transform.ts";

/** Appends the `prefect.flow-run.<state name>` event of a committed state to the outbox. */
export class InstrumentFlowRunStateTransitions extends UniversalTransform<
  FlowRun,
  FlowOrchestrationDeps
> {
  static override readonly ruleName = "InstrumentFlowRunStateTransitions";

  protected override async afterTransition(context: FlowContext): Promise<void> {
    const { run, deps, initialState, proposedState, validatedState } = context;
    if (proposedState === null || validatedState === null) return;
    const related = await deps.relatedResources.readRelatedResources(run);
    await deps.events.append(
      flowRunStateEvent({
        run,
        initial: initialState,
        validated: validatedState,
        related,
        truncateAt: deps.settings.truncateStateMessagesAt,
      }),
    );
  }
}
