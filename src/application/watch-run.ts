/**
 * WatchFlowRun / WatchTaskRun: the run's current state, then every committed transition in commit order,
 * including those committed by other replicas. Notifications only wake the watcher; what it
 * sends is read from the outbox after the last sequence number it sent, so a missed or
 * coalesced notification loses nothing.
 */
import { type RunKind, RunNotFoundError, type State } from "../domain/index.ts";
import type { RunEventNotifications } from "./flow-run-store.ts";

/** Where a watcher reads a run's committed states (flow-run and task-run stores). */
export interface WatchSource {
  watchStart(runId: string): Promise<{ state: State | null; seq: number } | null>;
  statesSince(runId: string, afterSeq: number): Promise<{ seq: number; state: State }[]>;
}

export class RunWatcher {
  readonly #store: WatchSource;
  readonly #notifications: RunEventNotifications;
  readonly #runKind: RunKind;

  /** @param runKind names the run kind in NOT_FOUND errors. */
  constructor(store: WatchSource, notifications: RunEventNotifications, runKind: RunKind) {
    this.#store = store;
    this.#notifications = notifications;
    this.#runKind = runKind;
  }

  /** Sends states until `signal` aborts; rejects with RunNotFoundError for an unknown run. */
  async watch(
    runId: string,
    signal: AbortSignal,
    send: (state: State) => Promise<void>,
  ): Promise<void> {
    let wake: () => void = () => {};
    let pending = false;
    const unsubscribe = this.#notifications.subscribe(runId, () => {
      pending = true;
      wake();
    });
    try {
      const start = await this.#store.watchStart(runId);
      if (start === null) throw new RunNotFoundError(this.#runKind, runId);
      let seq = start.seq;
      if (start.state !== null) await send(start.state);
      while (!signal.aborted) {
        if (!pending) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            signal.addEventListener("abort", () => resolve(), { once: true });
          });
          continue;
        }
        pending = false;
        for (const event of await this.#store.statesSince(runId, seq)) {
          await send(event.state);
          seq = event.seq;
        }
      }
    } finally {
      unsubscribe();
    }
  }
}
