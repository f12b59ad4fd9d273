/**
 * Cluster-wide mutual exclusion for the background loops: PostgreSQL session-level advisory
 * locks, taken with `pg_try_advisory_lock` on one dedicated connection per replica.
 *
 * Session-level locks belong to a connection, so they cannot come from the ORM's pool (the
 * next query might run on another connection and the unlock would miss). They are re-entrant
 * within a session, which is why each replica must have its own connection: two replicas on
 * one connection would both "acquire". If the connection drops (a database restart or crash),
 * or a lock query is not answered in time, PostgreSQL releases its locks with the session and
 * the next call opens a new one; the work itself is transactional and row-locked, so a tick
 * that overlaps another replica's after such a drop is still safe, merely redundant.
 */
import type pg from "pg";
import type { ExclusiveLocks, ExclusiveOutcome } from "../application/background.ts";
import type { Logger } from "../logger.ts";
import { dedicatedClient, endClient } from "./dedicated-connection.ts";
import { translatingErrors } from "./errors.ts";

/** First half of every flowgate advisory lock key ("flow" in ASCII), to avoid clashes. */
export const ADVISORY_LOCK_NAMESPACE = 0x666c6f77;

export class PgAdvisoryLocks implements ExclusiveLocks {
  readonly #url: string;
  readonly #log: Logger;
  /** The dedicated session, and the promise of it being connected. */
  #client: pg.Client | undefined;
  #connected: Promise<pg.Client> | undefined;
  #closed = false;
  /** pg wants one query at a time per client; the services share this one. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(url: string, log: Logger) {
    this.#url = url;
    this.#log = log;
  }

  async runExclusively<T>(key: number, work: () => Promise<T>): Promise<ExclusiveOutcome<T>> {
    const client = await translatingErrors(() => this.#connection());
    const result = await translatingErrors(() =>
      this.#serially(() =>
        client.query<{ acquired: boolean }>(`select pg_try_advisory_lock($1, $2) as acquired`, [
          ADVISORY_LOCK_NAMESPACE,
          key,
        ]),
      ).catch((error: unknown) => {
        // Unanswered or broken: the session may hold the lock or not; ending it settles that.
        this.#drop(client);
        throw error;
      }),
    );
    if (result.rows[0]?.acquired !== true) return { acquired: false };
    try {
      return { acquired: true, value: await work() };
    } finally {
      await this.#unlock(client, key);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    this.#connected = undefined;
    // Ending the session releases whatever it still holds.
    if (client !== undefined) await endClient(client);
  }

  #connection(): Promise<pg.Client> {
    if (this.#closed) return Promise.reject(new Error("advisory locks are closed"));
    if (this.#connected === undefined) {
      const client = dedicatedClient(this.#url, "flowgate-services");
      client.on("error", (error) => {
        this.#log.warn({ err: error }, "advisory lock connection lost");
        this.#drop(client);
      });
      this.#client = client;
      this.#connected = client.connect().then(
        () => client,
        (error: unknown) => {
          this.#drop(client);
          throw error;
        },
      );
    }
    return this.#connected;
  }

  async #unlock(client: pg.Client, key: number): Promise<void> {
    try {
      await this.#serially(() =>
        client.query(`select pg_advisory_unlock($1, $2)`, [ADVISORY_LOCK_NAMESPACE, key]),
      );
    } catch (error) {
      // Closing the session is the other way to release the lock.
      this.#log.warn({ err: error, key }, "advisory unlock failed; dropping the connection");
      this.#drop(client);
    }
  }

  #serially<T>(query: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(query, query);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Forgets a broken session; the next call opens a new one. */
  #drop(client: pg.Client): void {
    if (this.#client === client) {
      this.#client = undefined;
      this.#connected = undefined;
    }
    void endClient(client);
  }
}
