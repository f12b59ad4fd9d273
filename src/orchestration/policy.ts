/**
 * Policies: named, ordered, readonly lists of rules and transforms. The order is the
 * priority: rules are entered in it and exited in reverse. Adding a rule to a policy is one
 * line.
 *
 * Which policy runs a transition is decided here too, from data rather than per-handler
 * code (spec §2.2, §2.9): each run kind registers its {@link RunPolicies} (the global policy
 * always appended, the minimal policy used for `force` and policy-less calls, and optionally
 * a policy for deferred proposals), and {@link choosePolicy} picks one.
 */
import type { Run, State } from "../domain/index.ts";
import type { CoreDeps } from "./ports.ts";
import type { OrchestrationStepClass, TransitionEnd } from "./step.ts";

/** An ordered, readonly list of rule and transform classes with a name. */
export class Policy<R = Run, D = CoreDeps> {
  /** The spec's name, e.g. "CoreFlowPolicy" (reported in responses). */
  readonly name: string;
  /** In priority order. */
  readonly rules: readonly OrchestrationStepClass<R, D>[];

  constructor(name: string, rules: readonly OrchestrationStepClass<R, D>[]) {
    if (name === "") throw new TypeError("A policy needs a name");
    for (const rule of rules) {
      // Responses report rule names, so an unnamed class is a programming error.
      if (!rule.ruleName)
        throw new TypeError(`Policy ${name} lists a rule class without a ruleName`);
    }
    this.name = name;
    this.rules = Object.freeze([...rules]);
    Object.freeze(this);
  }

  /**
   * The rules that apply to the transition `from → to`, in priority order: those whose
   * FROM_STATES contain `from` and whose TO_STATES contain `to` (`null` included).
   */
  compileTransitionRules(from: TransitionEnd, to: TransitionEnd): OrchestrationStepClass<R, D>[] {
    return this.rules.filter((rule) => rule.FROM_STATES.has(from) && rule.TO_STATES.has(to));
  }
}

/** The policies a run kind registers with the engine. */
export interface RunPolicies<R = Run, D = CoreDeps> {
  /** Always appended after the chosen policy, also when forced (GlobalFlowPolicy, ...). */
  readonly global: Policy<R, D>;
  /** Used for `force` and when no policy is requested (MinimalFlowPolicy, ...). */
  readonly minimal: Policy<R, D>;
  /**
   * When set, used for every proposal whose `stateDetails.deferred` is true, even forced
   * ones (task runs: BackgroundTaskPolicy).
   */
  readonly deferred?: Policy<R, D> | undefined;
}

/** What the policy choice depends on. */
export interface PolicyChoice<R = Run, D = CoreDeps> {
  readonly force: boolean;
  /** The policy the caller asked for (CoreFlowPolicy, ...); absent means minimal. */
  readonly requested?: Policy<R, D> | null | undefined;
  readonly proposedState: State | null;
}

/**
 * Pick the policy for a transition: the deferred policy for deferred proposals (if the run
 * kind has one), else the minimal policy when forced or when none was requested, else the
 * requested one.
 */
export function choosePolicy<R, D>(
  policies: RunPolicies<R, D>,
  choice: PolicyChoice<R, D>,
): Policy<R, D> {
  if (policies.deferred && choice.proposedState?.stateDetails.deferred === true) {
    return policies.deferred;
  }
  if (choice.force || !choice.requested) return policies.minimal;
  return choice.requested;
}
