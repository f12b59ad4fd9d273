/**
 * One LISTEN connection per process on the outbox channel, fanned out to watchers by run id.
 * PostgreSQL delivers a notification only when its transaction commits, in commit order,
 * to every listening replica. If the connection drops (a database restart or crash) it is
 * re-established, retrying every second until the database is back, and every watcher is
 * woken so that it re-reads the outbox (nothing is lost, only re-checked).
 * While the connection is down this replica's watchers hear nothing: {@link deafSince} says
 * since when, which is what the outbox-lag metric measures.
 */
import type pg from "pg";
import type { RunEventNotifications } from "../application/flow-run-store.ts";
import type { Logger } from "../logger.ts";
import { dedicatedClient, endClient } from "./dedicated-connection.ts";
import { EVENTS_CHANNEL } from "./orchestration/unit-of-work.ts";

const RECONNECT_MS = 1000;

export class PgEventNotifications implements RunEventNotifications {
  readonly #url: string;
  readonly #log: Logger;
  readonly #subscribers = new Map<string, Set<() => void>>();
  #client: pg.Client | undefined;
  #closed = false;
  #deafSince: Date | null = new Date();

  constructor(url: string, log: Logger) {
    this.#url = url;
    this.#log = log;
  }

  /** Connects and listens; rejects when the database cannot be reached now. */
  async start(): Promise<void> {
    this.#client = await this.#listen();
    this.#deafSince = null;
  }

  /** Since when events committed may not have reached this replica's watchers; null while listening. */
  deafSince(): Date | null {
    return this.#deafSince;
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
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) await endClient(client);
  }

  async #listen(): Promise<pg.Client> {
    const client = dedicatedClient(this.#url, "flowgate-events");
    client.on("notification", (message) => {
      if (message.payload !== undefined) this.#notify(this.#subscribers.get(message.payload));
    });
    client.on("error", (error) => {
      this.#log.warn({ err: error }, "event listener connection lost; reconnecting");
      this.#reconnect(client);
    });
    try {
      await client.connect();
      await client.query(`listen ${EVENTS_CHANNEL}`);
      if (this.#closed) throw new Error("event notifications are closed");
      return client;
    } catch (error) {
      void endClient(client);
      throw error;
    }
  }

  #notify(subscribers: Set<() => void> | undefined): void {
    for (const onEvent of subscribers ?? []) onEvent();
  }

  #reconnect(broken: pg.Client): void {
    if (this.#closed || this.#client !== broken) return;
    this.#client = undefined;
    this.#deafSince = new Date();
    void endClient(broken);
    this.#retry();
  }

  #retry(): void {
    setTimeout(() => {
      if (this.#closed) return;
      this.#listen().then(
        (client) => {
          this.#client = client;
          this.#deafSince = null;
          this.#log.info("event listener connected again");
          // Wake every watcher: whatever committed while we were deaf is in the outbox.
          for (const subscribers of this.#subscribers.values()) this.#notify(subscribers);
        },
        () => this.#retry(),
      );
    }, RECONNECT_MS).unref();
  }
}
