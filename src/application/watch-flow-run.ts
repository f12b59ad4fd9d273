/**
 * WatchFlowRun: the run's current state, then every committed transition in commit order,
 * including those committed by other replicas. Notifications only wake the watcher; what it
 * sends is read from the outbox after the last sequence number it sent, so a missed or
 * coalesced notification loses nothing.
 */
import { NotFoundError, type State } from "../domain/index.ts";
import type { FlowRunStore, RunEventNotifications } from "./flow-run-store.ts";

export class FlowRunWatcher {
  readonly #store: FlowRunStore;
  readonly #notifications: RunEventNotifications;

  constructor(store: FlowRunStore, notifications: RunEventNotifications) {
    this.#store = store;
    this.#notifications = notifications;
  }

  /** Sends states until `signal` aborts; rejects with NotFoundError for an unknown run. */
  async watch(
    flowRunId: string,
    signal: AbortSignal,
    send: (state: State) => Promise<void>,
  ): Promise<void> {
    let wake: () => void = () => {};
    let pending = false;
    const unsubscribe = this.#notifications.subscribe(flowRunId, () => {
      pending = true;
      wake();
    });
    try {
      const start = await this.#store.watchStart(flowRunId);
      if (start === null) throw new NotFoundError("flow run", flowRunId);
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
        for (const event of await this.#store.statesSince(flowRunId, seq)) {
          await send(event.state);
          seq = event.seq;
        }
      }
    } finally {
      unsubscribe();
    }
  }
}
