/**
 * WatchFlowRun / WatchTaskRun: the run's current state, then every committed transition in commit order,
 * including those committed by other replicas. Notifications only wake the watcher; what it
 * sends is read from the outbox after the last sequence number it sent, so a missed or
 * coalesced notification loses nothing.
 */
import { NotFoundError, type State } from "../domain/index.ts";
import type { RunEventNotifications } from "./flow-run-store.ts";

/** Where a watcher reads a run's committed states (flow-run and task-run stores). */
export interface WatchSource {
  watchStart(runId: string): Promise<{ state: State | null; seq: number } | null>;
  statesSince(runId: string, afterSeq: number): Promise<{ seq: number; state: State }[]>;
}

export class RunWatcher {
  readonly #store: WatchSource;
  readonly #notifications: RunEventNotifications;
  readonly #entity: string;

  /** @param entity names the run kind in NOT_FOUND errors ("flow run", "task run"). */
  constructor(store: WatchSource, notifications: RunEventNotifications, entity: string) {
    this.#store = store;
    this.#notifications = notifications;
    this.#entity = entity;
  }

  /** Sends states until `signal` aborts; rejects with NotFoundError for an unknown run. */
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
      if (start === null) throw new NotFoundError(this.#entity, runId);
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
