/**
 * HandlePausingFlows (spec §4.1): only a running flow can pause ("Paused") or suspend
 * ("Suspended", a pause that gives up its infrastructure and is rescheduled on resume).
 * Each pause has a key, and a pause whose key already fired is refused, so re-executed
 * flow code does not pause twice at the same point. Suspending needs a deployment to be
 * rescheduled and is not possible for subflows. The key is recorded only when the pause is
 * accepted: this rule's own reject/abort makes it invalid on exit (TO = {PAUSED}).
 */
import { type FlowRun, type State, StateType } from "../../domain/index.ts";
import type { FlowContext } from "../flow-context.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { OrchestrationRule } from "../rule.ts";
import { ALL_ORCHESTRATION_STATES, stateTypes } from "../step.ts";

/** Guards PAUSED proposals and records the pause key of accepted ones. */
export class HandlePausingFlows extends OrchestrationRule<FlowRun, FlowOrchestrationDeps> {
  static override readonly ruleName = "HandlePausingFlows";
  static override readonly FROM_STATES = ALL_ORCHESTRATION_STATES;
  static override readonly TO_STATES = stateTypes(StateType.PAUSED);

  #pauseKey: string | null = null;

  protected override async beforeTransition(
    initial: State | null,
    proposed: State | null,
    context: FlowContext,
  ): Promise<void> {
    if (proposed === null) return;
    const verb = proposed.name === "Suspended" ? "suspend" : "pause";
    if (initial === null) {
      this.abortTransition(`Cannot ${verb} flows with no state.`);
      return;
    }
    if (initial.type !== StateType.RUNNING) {
      this.rejectTransition(null, `Cannot ${verb} flows that are not currently running.`);
      return;
    }
    const { run, deps } = context;
    const key = proposed.stateDetails.pauseKey || deps.ids.newId();
    if (run.empiricalPolicy.pauseKeys.includes(key)) {
      this.rejectTransition(null, `This ${verb} has already fired.`);
      return;
    }
    if (proposed.stateDetails.pauseReschedule) {
      if (run.parentTaskRunId !== null) {
        this.abortTransition(`Cannot ${verb} subflows.`);
        return;
      }
      if (run.deploymentId === null) {
        this.abortTransition(`Cannot ${verb} flows without a deployment.`);
        return;
      }
    }
    this.#pauseKey = key;
  }

  protected override async afterTransition(
    _initial: State | null,
    _validated: State | null,
    context: FlowContext,
  ): Promise<void> {
    const key = this.#pauseKey;
    const policy = context.run.empiricalPolicy;
    if (key !== null && !policy.pauseKeys.includes(key)) {
      policy.pauseKeys = [...policy.pauseKeys, key];
    }
  }
}
