/**
 * The CLI's exit codes: what happened, for scripts. `set-state` (also with `--dry-run`)
 * exits with the orchestration outcome; every other command with 0 or an error code.
 */
export const ExitCode = Object.freeze({
  /** Done; for set-state: ACCEPT. */
  OK: 0,
  /** The call failed: an error status from the server, or no server to talk to. */
  ERROR: 1,
  /** The command line is wrong (unknown command or option, bad value). */
  USAGE: 2,
  /** set-state: REJECT (the run went to, or stayed in, another state). */
  REJECT: 3,
  /** set-state: WAIT (nothing written; propose again after the delay). */
  WAIT: 4,
  /** set-state: ABORT (nothing written; the run must not go on). */
  ABORT: 5,
} as const);

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
