/**
 * The orchestration pipeline (spec §2.2): one call decides and records one transition.
 *
 * 1. Compute the intended transition (initial type, proposed type) once.
 * 2. Choose the policy (§2.9) and compile its rules, then the global transforms, for the
 *    intended transition; both keep priority order.
 * 3. Enter every step in order: all policy rules, then all global transforms.
 * 4. Validate: write the (possibly changed) proposal through the {@link StateWriter} port, or,
 *    when nothing is proposed, keep the current state (§2.7). The written state carries its
 *    {@link StateDecision} (policy, rules fired and fizzled), so history explains itself.
 * 5. Exit every entered step in reverse (global transforms first, then policy rules), even
 *    when something threw: an explicit LIFO stack, so after-hook errors do not skip the
 *    remaining exits.
 * 6. Rethrow the error of a rule's before-hook, if one was captured, else return the outcome.
 *
 * The caller owns the transaction: the engine never commits, and any exception means the
 * caller must roll back.
 */
import { copyState, type State, type StateDecision } from "../domain/index.ts";
import { OrchestrationContext, type OrchestrationParameters } from "./context.ts";
import { abortDetails, type ResponseDetails, SetStateStatus } from "./outcome.ts";
import { choosePolicy, type Policy, type RunPolicies } from "./policy.ts";
import type { StateWriter } from "./ports.ts";
import { reprError } from "./repr.ts";
import type { OrchestrationStep } from "./step.ts";

/** Everything one orchestration needs. */
export interface OrchestrationRequest<R, D> {
  /** The run, loaded (and for flow runs row-locked) inside the caller's transaction. */
  readonly run: R;
  /** The run's current state with its data, or `null` if it never had one. */
  readonly initialState: State | null;
  /** What the client proposes, with its server-assigned id and timestamp. */
  readonly proposedState: State | null;
  /** The run kind's registered policies. */
  readonly policies: RunPolicies<R, D>;
  /** The requested policy (e.g. CoreFlowPolicy); absent behaves like `force`. */
  readonly policy?: Policy<R, D> | null;
  readonly force?: boolean;
  readonly parameters?: OrchestrationParameters;
  readonly clientVersion?: string | null;
  /** Ports for the rules, exposed as `context.deps`. */
  readonly deps: D;
  /** The validate step's port. */
  readonly stateWriter: StateWriter<R>;
}

/** The outcome of one orchestration. */
export interface OrchestrationResult<R, D> {
  /** The validated state: the written state, or the current one when nothing was written. */
  readonly state: State | null;
  readonly status: SetStateStatus;
  readonly details: ResponseDetails;
  /** The full record (policy, states, signatures, fizzled rules, parameters). */
  readonly context: OrchestrationContext<R, D>;
}

/**
 * Orchestrate one transition. Resolves to the outcome (ACCEPT/REJECT/WAIT/ABORT are values);
 * rejects with the error of a rule's before-hook (after all exits ran), of a universal
 * transform's before-hook, of an after/cleanup hook (the last one raised wins), or a
 * retryable error from the validate step.
 */
export async function orchestrateTransition<R, D>(
  request: OrchestrationRequest<R, D>,
): Promise<OrchestrationResult<R, D>> {
  const from = request.initialState?.type ?? null;
  const to = request.proposedState?.type ?? null;
  const policy = choosePolicy(request.policies, {
    force: request.force ?? false,
    requested: request.policy,
    proposedState: request.proposedState,
  });
  const policySteps = policy.compileTransitionRules(from, to);
  const steps = [...policySteps, ...request.policies.global.compileTransitionRules(from, to)];
  const context = new OrchestrationContext<R, D>({
    run: request.run,
    deps: request.deps,
    initialState: request.initialState,
    proposedState: request.proposedState,
    policyName: policy.name,
    parameters: request.parameters ?? {},
    clientVersion: request.clientVersion ?? null,
  });

  const entered: OrchestrationStep[] = [];
  let failure: { readonly error: unknown } | null = null;
  try {
    for (const Step of steps) {
      const step = new Step(context, from, to);
      await step.enter();
      entered.push(step);
    }
    const decision = () => decisionOf(context, entered.slice(0, policySteps.length));
    await validateProposedState(context, request.stateWriter, decision);
  } catch (error) {
    failure = { error };
  }
  for (let step = entered.pop(); step !== undefined; step = entered.pop()) {
    try {
      await step.exit();
    } catch (error) {
      // Like Python's exit stack: keep unwinding; the most recent error propagates.
      failure = { error };
    }
  }
  if (failure !== null) throw failure.error;
  if (context.orchestrationError !== null) throw context.orchestrationError;
  return {
    state: context.validatedState,
    status: context.responseStatus,
    details: context.responseDetails,
    context,
  };
}

/**
 * The validate step (spec §2.7). With a proposal, write it and take the stored state as the
 * validated state; without one, the validated state is (a copy of) the current state.
 * A failure nullifies the proposal; retryable database errors are rethrown, any other error
 * becomes ABORT "Error validating state: …" with no validated state and no
 * `orchestrationError` (so universal after-hooks still run).
 */
async function validateProposedState<R, D>(
  context: OrchestrationContext<R, D>,
  writer: StateWriter<R>,
  decision: () => StateDecision,
): Promise<void> {
  try {
    const proposed = context.proposedState;
    if (proposed !== null) proposed.decision = decision();
    // The current state is re-read in Prefect, so the validated state never aliases the
    // initial one: cleanup hooks that edit the validated details must not touch the initial.
    context.validatedState =
      proposed === null
        ? context.initialState && copyState(context.initialState)
        : await writer.writeState(context.run, proposed);
  } catch (error) {
    context.proposedState = null;
    if (writer.isRetryableError(error)) throw error;
    context.responseStatus = SetStateStatus.ABORT;
    context.responseDetails = abortDetails(`Error validating state: ${reprError(error)}`);
  }
}

/**
 * The decision a written state keeps: computed just before the write, when every rule has
 * been entered and the outcome can no longer change (see {@link OrchestrationStep.willFizzle}).
 * Only the policy's own rules are listed; the global transforms run on every transition.
 */
function decisionOf<R, D>(
  context: OrchestrationContext<R, D>,
  policySteps: readonly OrchestrationStep[],
): StateDecision {
  const details = context.responseDetails;
  return {
    policy: context.policyName,
    firedRules: policySteps.filter((step) => step.hasFired()).map((step) => step.name),
    fizzledRules: policySteps.filter((step) => step.willFizzle()).map((step) => step.name),
    rejected: context.responseStatus === SetStateStatus.REJECT,
    reason: details.type === "reject_details" ? details.reason : null,
  };
}
