/**
 * Outcomes of an orchestration (spec §1.8). They are values carried in an OK response, never
 * errors: ACCEPT (the proposal was stored), REJECT (a different state, or none, was stored),
 * WAIT (nothing stored; retry after `delaySeconds`), ABORT (nothing stored; stop).
 */

/** The four outcomes. */
export const SetStateStatus = Object.freeze({
  ACCEPT: "ACCEPT",
  REJECT: "REJECT",
  WAIT: "WAIT",
  ABORT: "ABORT",
} as const);

/** One of ACCEPT, REJECT, WAIT, ABORT. */
export type SetStateStatus = (typeof SetStateStatus)[keyof typeof SetStateStatus];

/** Details of an ACCEPT. */
export interface AcceptDetails {
  readonly type: "accept_details";
}

/** Details of a REJECT: why. */
export interface RejectDetails {
  readonly type: "reject_details";
  readonly reason: string | null;
}

/** Details of an ABORT: why. */
export interface AbortDetails {
  readonly type: "abort_details";
  readonly reason: string | null;
}

/** Details of a WAIT: how long, and why. */
export interface WaitDetails {
  readonly type: "wait_details";
  readonly delaySeconds: number;
  readonly reason: string | null;
}

/**
 * The response details, a union discriminated on `type`: one kind is never coerced into
 * another.
 */
export type ResponseDetails = AcceptDetails | RejectDetails | AbortDetails | WaitDetails;

/** `{type: "accept_details"}` */
export function acceptDetails(): AcceptDetails {
  return { type: "accept_details" };
}

/** `{type: "reject_details", reason}` */
export function rejectDetails(reason: string | null = null): RejectDetails {
  return { type: "reject_details", reason };
}

/** `{type: "abort_details", reason}` */
export function abortDetails(reason: string | null = null): AbortDetails {
  return { type: "abort_details", reason };
}

/** `{type: "wait_details", delaySeconds, reason}` */
export function waitDetails(delaySeconds: number, reason: string | null = null): WaitDetails {
  return { type: "wait_details", delaySeconds, reason };
}
