/**
 * What rules and universal transforms have in common: declared applicability (the state
 * types a transition may come FROM and go TO, where `null` means "no state") and a pair of
 * entry/exit steps that the engine calls in LIFO order.
 */
import { STATE_TYPES, type StateType } from "../domain/index.ts";
import type { OrchestrationContext } from "./context.ts";

/** One end of a transition: a state type, or `null` for "no state". */
export type TransitionEnd = StateType | null;

/** A set of transition ends; `null` is a legitimate member. */
export type StateTypeSet = ReadonlySet<TransitionEnd>;

/** The set of given transition ends. */
export function stateTypes(...ends: TransitionEnd[]): StateTypeSet {
  return new Set(ends);
}

/** All nine state types plus `null`: every transition matches (spec §1.1). */
export const ALL_ORCHESTRATION_STATES: StateTypeSet = stateTypes(...STATE_TYPES, null);

/** Every transition end except the given ones (`null` included unless excluded). */
export function allStatesExcept(...excluded: TransitionEnd[]): StateTypeSet {
  return stateTypes(...[...ALL_ORCHESTRATION_STATES].filter((end) => !excluded.includes(end)));
}

/** An instantiated rule or transform, as the engine drives it. */
export interface OrchestrationStep {
  /** The step's name as responses report it. */
  readonly name: string;
  /** Run the before-hook (if the step applies). */
  enter(): Promise<void>;
  /** Run the after-hook or the cleanup hook (if the step applies). */
  exit(): Promise<void>;
  /** Whether the before-hook ran (and returned). */
  hasFired(): boolean;
  /**
   * Whether `exit` will run the cleanup hook rather than the after-hook. Exact once the state
   * is validated: only the rule primitives change a transition's types, and they refuse to
   * run after validation. The engine records it with the state it writes.
   */
  willFizzle(): boolean;
}

/**
 * A rule or transform class as a policy lists it: its name (reported in responses, so it is
 * an explicit string rather than `Function.name`), its applicability, and a constructor
 * taking the real context and the intended transition.
 */
export interface OrchestrationStepClass<R, D> {
  readonly ruleName: string;
  readonly FROM_STATES: StateTypeSet;
  readonly TO_STATES: StateTypeSet;
  new (
    context: OrchestrationContext<R, D>,
    fromStateType: TransitionEnd,
    toStateType: TransitionEnd,
  ): OrchestrationStep;
}

/** The statics of a step class, read from an instance's constructor. */
export type StepStatics = Pick<
  OrchestrationStepClass<unknown, unknown>,
  "ruleName" | "FROM_STATES" | "TO_STATES"
>;

/** The statics of the class of `step`. */
export function staticsOf(step: object): StepStatics {
  return step.constructor as unknown as StepStatics;
}
