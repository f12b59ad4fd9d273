/**
 * What every background service is: a tick (`runOnce`) that does one pass of its work, run
 * periodically by a {@link ServiceLoop}. Tests call `runOnce` directly with a fake clock.
 *
 * A tick runs on at most one replica at a time (a PostgreSQL advisory lock per service,
 * spec preface "Keep exactly") and never overlaps itself within a process: a tick that
 * finds the lock taken, or its own previous tick still running, is skipped, not queued.
 */
import type { ExclusiveLocks } from "../application/background.ts";

/** What one tick did. `processed` counts the runs or leases it changed. */
export type TickResult =
  | { readonly status: "ran"; readonly processed: number }
  | { readonly status: "skipped"; readonly reason: "locked" | "busy" };

/** A periodic background job. */
export interface BackgroundService {
  /** Short, stable name for logs. */
  readonly name: string;
  /** Seconds between the end of one tick and the start of the next. */
  readonly intervalSeconds: number;
  /** One pass; `signal` cuts it short (an in-flight transition then rolls back). */
  runOnce(signal?: AbortSignal): Promise<TickResult>;
}

/** Runs a service's ticks one at a time here, and under its advisory lock cluster-wide. */
export class ExclusiveTicks {
  readonly #locks: ExclusiveLocks;
  readonly #key: number;
  #running = false;

  /** `key` identifies the service's advisory lock; each service has its own. */
  constructor(locks: ExclusiveLocks, key: number) {
    this.#locks = locks;
    this.#key = key;
  }

  async run(work: () => Promise<number>): Promise<TickResult> {
    if (this.#running) return { status: "skipped", reason: "busy" };
    this.#running = true;
    try {
      const outcome = await this.#locks.runExclusively(this.#key, work);
      return outcome.acquired
        ? { status: "ran", processed: outcome.value }
        : { status: "skipped", reason: "locked" };
    } finally {
      this.#running = false;
    }
  }
}
