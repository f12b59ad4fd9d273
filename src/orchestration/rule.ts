/**
 * Orchestration rules: stateful guards on one transition (spec §2.3–2.4).
 *
 * A rule declares the transitions it cares about (`FROM_STATES`, `TO_STATES`) and has three
 * hooks: `beforeTransition` (may change the proposal through the primitives), then, once the
 * state is validated, either `afterTransition` or `cleanup`.
 *
 * Each instance is created for the *intended* transition (the types of the initial and
 * proposed states before any rule ran) and remembers it as `fromStateType`/`toStateType`:
 * - **invalid**: the intended transition is outside FROM/TO, or the context had already
 *   changed type when the rule was entered. No hook ever fires ("once invalid, always
 *   invalid"; the answer is memoised on first evaluation).
 * - **fizzled**: the rule was valid on entry (its before-hook ran) but by exit the context's
 *   initial/proposed *types* no longer match what the rule saw, because a later rule rejected
 *   into another type, delayed, aborted, or raised. The rule's decision no longer describes
 *   what happened, so `cleanup` undoes its side effects instead of `afterTransition`.
 * - Otherwise the rule runs `afterTransition`.
 *
 * The type-changing primitives also move the rule's own `toStateType`, so a rule never
 * fizzles itself. Because `invalid()` re-checks `toStateType ∈ TO_STATES` on exit, a rule that
 * rejects into a type outside its own TO_STATES (or delays/aborts while `null ∉ TO_STATES`)
 * is invalid on exit and runs neither exit hook; real rules rely on that.
 */
import {
  OrchestrationError,
  type Run,
  type State,
  TransitionAlreadyValidatedError,
} from "../domain/index.ts";
import type { OrchestrationContext, OrchestrationParameters } from "./context.ts";
import { abortDetails, rejectDetails, SetStateStatus, waitDetails } from "./outcome.ts";
import type { CoreDeps } from "./ports.ts";
import { reprError } from "./repr.ts";
import {
  type OrchestrationStep,
  type StateTypeSet,
  staticsOf,
  type TransitionEnd,
} from "./step.ts";

const NO_STATES: StateTypeSet = new Set();

/**
 * Base class of orchestration rules. Subclasses set `static ruleName` (the spec's name),
 * `static FROM_STATES`/`TO_STATES` (default: empty, so a rule that forgets them never fires)
 * and override the hooks they need.
 */
export abstract class OrchestrationRule<R = Run, D = CoreDeps> implements OrchestrationStep {
  static readonly ruleName: string = "";
  static readonly FROM_STATES: StateTypeSet = NO_STATES;
  static readonly TO_STATES: StateTypeSet = NO_STATES;

  /** The real context (hooks receive a safe copy of it). */
  readonly context: OrchestrationContext<R, D>;
  readonly fromStateType: TransitionEnd;
  #toStateType: TransitionEnd;
  #invalidOnEntry: boolean | undefined;
  #fired = false;

  constructor(
    context: OrchestrationContext<R, D>,
    fromStateType: TransitionEnd,
    toStateType: TransitionEnd,
  ) {
    this.context = context;
    this.fromStateType = fromStateType;
    this.#toStateType = toStateType;
  }

  /** The rule's name as the spec spells it. */
  get name(): string {
    return staticsOf(this).ruleName;
  }

  /** The proposed type this rule expects; moved by the rule's own type-changing primitives. */
  get toStateType(): TransitionEnd {
    return this.#toStateType;
  }

  /** Whether the context's current types differ from the ones this rule expects. */
  invalidTransition(): boolean {
    return (
      this.context.initialStateType !== this.fromStateType ||
      this.context.proposedStateType !== this.#toStateType
    );
  }

  /** Whether the rule does not apply; decided once, then remembered (see module header). */
  invalid(): boolean {
    const { FROM_STATES, TO_STATES } = staticsOf(this);
    if (!FROM_STATES.has(this.fromStateType)) this.#invalidOnEntry = true;
    if (!TO_STATES.has(this.#toStateType)) this.#invalidOnEntry = true;
    this.#invalidOnEntry ??= this.invalidTransition();
    return this.#invalidOnEntry;
  }

  /** Whether a valid rule's view of the transition was invalidated after it was entered. */
  fizzled(): boolean {
    if (this.#invalidOnEntry === true) return false;
    return this.invalidTransition();
  }

  hasFired(): boolean {
    return this.#fired;
  }

  /** What {@link exit} will decide: valid on exit, and fizzled. */
  willFizzle(): boolean {
    return this.#fired && !this.invalid() && this.fizzled();
  }

  /**
   * Run the before-hook on a safe copy. An exception becomes an ABORT of the transition and
   * is recorded on the context, to be rethrown after every exit has run.
   */
  async enter(): Promise<void> {
    if (this.invalid()) return;
    try {
      const entry = this.context.safeCopy();
      await this.beforeTransition(entry.initialState, entry.proposedState, entry);
      this.#fired = true;
      this.context.ruleSignature.push(this.name);
    } catch (error) {
      this.context.proposedState = null;
      this.context.responseStatus = SetStateStatus.ABORT;
      this.context.responseDetails = abortDetails(
        `Aborting orchestration due to error in ${this.name}: !${reprError(error)}`,
      );
      this.context.orchestrationError =
        error instanceof Error ? error : new Error(String(error), { cause: error });
    }
  }

  /** Run `afterTransition`, or `cleanup` if the rule fizzled, on a copy taken first. */
  async exit(): Promise<void> {
    const exit = this.context.safeCopy();
    if (this.invalid()) return;
    if (this.fizzled()) {
      await this.cleanup(exit.initialState, exit.validatedState, exit);
      this.context.fizzledRules.push(this.name);
    } else {
      await this.afterTransition(exit.initialState, exit.validatedState, exit);
      this.context.finalizationSignature.push(this.name);
    }
  }

  /** Inspect and change the proposal, through the primitives below. */
  protected async beforeTransition(
    _initial: State | null,
    _proposed: State | null,
    _context: OrchestrationContext<R, D>,
  ): Promise<void> {}

  /** Side effects of an accepted decision; runs after the state is validated. */
  protected async afterTransition(
    _initial: State | null,
    _validated: State | null,
    _context: OrchestrationContext<R, D>,
  ): Promise<void> {}

  /** Undo the before-hook's side effects when the rule fizzled. */
  protected async cleanup(
    _initial: State | null,
    _validated: State | null,
    _context: OrchestrationContext<R, D>,
  ): Promise<void> {}

  /**
   * REJECT: write `state` instead of the proposal (this exact object, so its id and timestamp
   * are kept), or with `null` write nothing and answer with the current state. A run without
   * a state cannot be rejected to `null`: that raises {@link OrchestrationError}.
   */
  protected rejectTransition(state: State | null, reason: string): void {
    this.#assertNotValidated();
    if (state === null) {
      if (this.fromStateType === null) {
        throw new OrchestrationError(
          "The current run has no state; this transition cannot be rejected without providing a new state.",
        );
      }
      this.#toStateType = null;
      this.context.proposedState = null;
    } else {
      this.#toStateType = state.type;
      this.context.proposedState = state;
    }
    this.context.responseStatus = SetStateStatus.REJECT;
    this.context.responseDetails = rejectDetails(reason);
  }

  /**
   * WAIT: write nothing; the client retries the same proposal after `delaySeconds` (whole
   * seconds: the wire field is an int32, so rules round before calling).
   */
  protected delayTransition(delaySeconds: number, reason: string): void {
    this.#assertNotValidated();
    this.#toStateType = null;
    this.context.proposedState = null;
    this.context.responseStatus = SetStateStatus.WAIT;
    this.context.responseDetails = waitDetails(delaySeconds, reason);
  }

  /** ABORT: write nothing; the client stops orchestrating this run. */
  protected abortTransition(reason: string): void {
    this.#assertNotValidated();
    this.#toStateType = null;
    this.context.proposedState = null;
    this.context.responseStatus = SetStateStatus.ABORT;
    this.context.responseDetails = abortDetails(reason);
  }

  /** Rename the real proposed state (if any). Never fizzles anything: only types are compared. */
  protected renameState(name: string): void {
    if (this.context.proposedState !== null) this.context.proposedState.name = name;
  }

  /** Set a parameter on the real context (the copy the hooks see is protected). */
  protected updateContextParameters(key: string, value: OrchestrationParameters[string]): void {
    this.context.parameters[key] = value;
  }

  #assertNotValidated(): void {
    if (this.context.validatedState !== null) throw new TransitionAlreadyValidatedError();
  }
}
