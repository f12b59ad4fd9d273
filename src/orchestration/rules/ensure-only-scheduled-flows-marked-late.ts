/**
 * EnsureOnlyScheduledFlowsMarkedLate (spec §4.1, §8.2.4): "Late" is a label the late-runs
 * service puts on runs still waiting in SCHEDULED. A run that already moved on, or is
 * already Late, must not be relabelled (the service may fire twice for one run).
 */
import { type FlowRun, type State, StateType } from "../../domain/index.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { ALL_ORCHESTRATION_STATES, stateTypes } from "../step.ts";

/** Rejects "Late" proposals for runs that are not SCHEDULED, or already Late. */
export class EnsureOnlyScheduledFlowsMarkedLate extends OrchestrationRule<
  FlowRun,
  FlowOrchestrationDeps
> {
  static override readonly ruleName = "EnsureOnlyScheduledFlowsMarkedLate";
  static override readonly FROM_STATES = ALL_ORCHESTRATION_STATES;
  static override readonly TO_STATES = stateTypes(StateType.SCHEDULED);

  protected override async beforeTransition(
    initial: State | null,
    proposed: State | null,
  ): Promise<void> {
    if (initial === null || proposed === null) return;
    if (proposed.type !== StateType.SCHEDULED || proposed.name !== "Late") return;
    if (initial.type !== StateType.SCHEDULED) {
      this.rejectTransition(null, "Only scheduled flows can be marked late.");
    } else if (initial.name === "Late") {
      this.rejectTransition(null, "This flow run is already marked late.");
    }
  }
}
