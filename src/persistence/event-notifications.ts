/**
 * One LISTEN connection per process on the outbox channel, fanned out to watchers by run id.
 * PostgreSQL delivers a notification only when its transaction commits, in commit order,
 * to every listening replica. If the connection drops it is re-established, and every
 * watcher is woken so that it re-reads the outbox (nothing is lost, only re-checked).
 */
import pg from "pg";
import type { RunEventNotifications } from "../application/flow-run-store.ts";
import type { Logger } from "../logger.ts";
import { EVENTS_CHANNEL } from "./orchestration/unit-of-work.ts";

const RECONNECT_MS = 1000;

export class PgEventNotifications implements RunEventNotifications {
  readonly #url: string;
  readonly #log: Logger;
  readonly #subscribers = new Map<string, Set<() => void>>();
  #client: pg.Client | undefined;
  #closed = false;

  constructor(url: string, log: Logger) {
    this.#url = url;
    this.#log = log;
  }

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url });
    client.on("notification", (message) => {
      if (message.payload !== undefined) this.#notify(this.#subscribers.get(message.payload));
    });
    client.on("error", (error) => {
      this.#log.warn({ err: error }, "event listener connection lost; reconnecting");
      this.#reconnect(client);
    });
    await client.connect();
    await client.query(`listen ${EVENTS_CHANNEL}`);
    this.#client = client;
  }

  subscribe(runId: string, onEvent: () => void): () => void {
    let set = this.#subscribers.get(runId);
    if (set === undefined) {
      set = new Set();
      this.#subscribers.set(runId, set);
    }
    set.add(onEvent);
    return () => {
      set.delete(onEvent);
      if (set.size === 0) this.#subscribers.delete(runId);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#client?.end().catch(() => undefined);
  }

  #notify(subscribers: Set<() => void> | undefined): void {
    for (const onEvent of subscribers ?? []) onEvent();
  }

  #reconnect(broken: pg.Client): void {
    if (this.#closed || this.#client !== broken) return;
    this.#client = undefined;
    broken.end().catch(() => undefined);
    this.#retry();
  }

  #retry(): void {
    setTimeout(() => {
      if (this.#closed) return;
      this.start().then(
        // Wake every watcher: whatever committed while we were deaf is in the outbox.
        () => {
          for (const subscribers of this.#subscribers.values()) this.#notify(subscribers);
        },
        () => this.#retry(),
      );
    }, RECONNECT_MS).unref();
  }
}
