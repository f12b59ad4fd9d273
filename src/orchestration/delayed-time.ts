/**
 * The time a rule schedules a state at: now plus a delay in seconds. A delay comes from the
 * run's policy as the client set it, so it may be anything a protobuf double holds (1e308,
 * Infinity, NaN); `new Date(now + 1e311)` is an Invalid Date, which fails only when the
 * state is written ("Invalid time value"). The result is therefore kept within the range of
 * `google.protobuf.Timestamp` (0001-01-01 to 9999-12-31), which a Date and PostgreSQL hold
 * too: a delay past year 9999 means "not before 9999-12-31", a NaN delay means none.
 */

/** 0001-01-01T00:00:00Z, the earliest time a protobuf Timestamp holds. */
export const EARLIEST_TIME_MS = -62_135_596_800_000;
/** 9999-12-31T23:59:59.999Z, the latest time a protobuf Timestamp holds. */
export const LATEST_TIME_MS = 253_402_300_799_999;

/** `now` plus `delaySeconds`, clamped to the protobuf Timestamp range; NaN counts as 0. */
export function timeAfterDelay(now: Date, delaySeconds: number): Date {
  const delayMs = Number.isNaN(delaySeconds) ? 0 : delaySeconds * 1000;
  return new Date(Math.min(LATEST_TIME_MS, Math.max(EARLIEST_TIME_MS, now.getTime() + delayMs)));
}
