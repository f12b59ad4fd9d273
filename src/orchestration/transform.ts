/**
 * Universal transforms: stateless bookkeeping that applies to every transition (spec §2.5),
 * such as copying the final proposed state's type onto the run (`SetRunStateType`).
 *
 * Unlike rules they are always entered (FROM/TO are all states including `null`), receive
 * the real context (no safe copy) and never fizzle or clean up. A transform's before-hook runs
 * even when the transition was nullified, so each transform checks
 * {@link UniversalTransform.isNullified} itself. Its after-hook is skipped whenever a rule's
 * before-hook raised (the context-wide `orchestrationError`), also for transforms entered
 * before the error. A validation failure is not such an error: after-hooks then run and see a
 * nullified transition.
 */
import type { Run } from "../domain/index.ts";
import type { OrchestrationContext } from "./context.ts";
import type { CoreDeps } from "./ports.ts";
import {
  ALL_ORCHESTRATION_STATES,
  type OrchestrationStep,
  type StateTypeSet,
  staticsOf,
  type TransitionEnd,
} from "./step.ts";

/**
 * Base class of universal transforms. Subclasses set `static ruleName` and override the
 * hooks they need. An exception in `beforeTransition` is not caught: it propagates at once
 * (the exits of steps already entered still run).
 */
export abstract class UniversalTransform<R = Run, D = CoreDeps> implements OrchestrationStep {
  static readonly ruleName: string = "";
  static readonly FROM_STATES: StateTypeSet = ALL_ORCHESTRATION_STATES;
  static readonly TO_STATES: StateTypeSet = ALL_ORCHESTRATION_STATES;

  /** The real context. */
  readonly context: OrchestrationContext<R, D>;
  readonly fromStateType: TransitionEnd;
  readonly toStateType: TransitionEnd;
  #fired = false;

  constructor(
    context: OrchestrationContext<R, D>,
    fromStateType: TransitionEnd,
    toStateType: TransitionEnd,
  ) {
    this.context = context;
    this.fromStateType = fromStateType;
    this.toStateType = toStateType;
  }

  /** The transform's name as the spec spells it. */
  get name(): string {
    return staticsOf(this).ruleName;
  }

  /** Always runs the before-hook. */
  async enter(): Promise<void> {
    await this.beforeTransition(this.context);
    this.#fired = true;
    this.context.ruleSignature.push(this.name);
  }

  hasFired(): boolean {
    return this.#fired;
  }

  /** Transforms never fizzle. */
  willFizzle(): boolean {
    return false;
  }

  /** Runs the after-hook unless a rule's before-hook raised. */
  async exit(): Promise<void> {
    if (this.exceptionInTransition()) return;
    await this.afterTransition(this.context);
    this.context.finalizationSignature.push(this.name);
  }

  /** Whether nothing will be written (the proposed state is `null`). */
  isNullified(): boolean {
    return this.context.proposedState === null;
  }

  /** Whether a rule's before-hook raised during this orchestration. */
  exceptionInTransition(): boolean {
    return this.context.orchestrationError !== null;
  }

  /** Bookkeeping before validation; may change anything on the real context. */
  protected async beforeTransition(_context: OrchestrationContext<R, D>): Promise<void> {}

  /** Bookkeeping after validation (the validated state is set, or `null`). */
  protected async afterTransition(_context: OrchestrationContext<R, D>): Promise<void> {}
}
