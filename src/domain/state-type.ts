/**
 * State types: the nine kinds of state a run can be in.
 *
 * A string-literal union plus a frozen const object (Node's type stripping forbids enums).
 * The value equals the name, as in Prefect; there is deliberately no `UNSPECIFIED` value —
 * the wire mappers reject it before it reaches the domain.
 */

/** The state types, value == name (spec §1.1). */
export const StateType = Object.freeze({
  SCHEDULED: "SCHEDULED",
  PENDING: "PENDING",
  RUNNING: "RUNNING",
  COMPLETED: "COMPLETED",
  FAILED: "FAILED",
  CANCELLED: "CANCELLED",
  CRASHED: "CRASHED",
  PAUSED: "PAUSED",
  CANCELLING: "CANCELLING",
} as const);

/** One of the nine state types. */
export type StateType = (typeof StateType)[keyof typeof StateType];

/** All nine state types, in declaration order. */
export const STATE_TYPES: readonly StateType[] = Object.freeze(Object.values(StateType));

/**
 * The terminal ("final") types: COMPLETED, CANCELLED, FAILED, CRASHED.
 * PAUSED and CANCELLING are not terminal: a paused run resumes, a cancelling one still has to
 * reach CANCELLED.
 */
export const TERMINAL_STATE_TYPES: ReadonlySet<StateType> = new Set<StateType>([
  StateType.COMPLETED,
  StateType.CANCELLED,
  StateType.FAILED,
  StateType.CRASHED,
]);

/** Whether `type` is terminal (final). `null` (no state) is not. */
export function isTerminalStateType(type: StateType | null | undefined): boolean {
  return type != null && TERMINAL_STATE_TYPES.has(type);
}

/** Whether `value` is one of the nine state types (for mappers and parsers). */
export function isStateType(value: unknown): value is StateType {
  return typeof value === "string" && (STATE_TYPES as readonly string[]).includes(value);
}

/**
 * The name a state gets when none is given: each `_`-separated word of the type capitalised
 * ("SCHEDULED" → "Scheduled"). Clients match on names, so this must not drift.
 */
export function defaultStateName(type: StateType): string {
  return type
    .split("_")
    .map((word) => word.charAt(0) + word.slice(1).toLowerCase())
    .join(" ");
}
