/**
 * The database side of the metrics: read when Prometheus scrapes, never on the hot path.
 * Each query has its own deadline, so that a scrape never leaves a query running on a
 * database that does not answer; the pool's figures need no query at all.
 */
import type { MikroORM } from "@mikro-orm/postgresql";
import type { MetricsSource, PoolStats, SlotUsage } from "../application/metrics-source.ts";
import type { PgEventNotifications } from "./event-notifications.ts";

/** How long a scrape's query may take. */
const QUERY_TIMEOUT_MS = 2000;

export class PgMetricsSource implements MetricsSource {
  readonly #orm: MikroORM;
  readonly #pool: () => PoolStats;
  readonly #notifications: PgEventNotifications;

  constructor(orm: MikroORM, pool: () => PoolStats, notifications: PgEventNotifications) {
    this.#orm = orm;
    this.#pool = pool;
    this.#notifications = notifications;
  }

  async activeSlots(): Promise<SlotUsage[]> {
    const rows = await this.#query<SlotUsage>(
      `select 'deployment' as kind, name as limit, active_slots as slots, "limit" as capacity
       from concurrency_limit_v2
       union all
       select 'tag', l.tag,
         (select count(*)::int from tag_concurrency_holder h where h.limit_id = l.id),
         l.concurrency_limit
       from tag_concurrency_limit l`,
    );
    return rows.map((row) => ({
      ...row,
      slots: Number(row.slots),
      capacity: Number(row.capacity),
    }));
  }

  async outboxLagSeconds(): Promise<number> {
    const deafSince = this.#notifications.deafSince();
    if (deafSince === null) return 0;
    // Only while the listener is cut off, so the scan (no index on `occurred`) is rare.
    const [row] = await this.#query<{ oldest: Date | string | null }>(
      `select min(occurred) as oldest from event where occurred >= ?`,
      [deafSince],
    );
    if (row?.oldest == null) return 0;
    return Math.max(0, (Date.now() - new Date(row.oldest).getTime()) / 1000);
  }

  pool(): PoolStats {
    return this.#pool();
  }

  #query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.#orm.em
      .fork()
      .execute<T[]>(sql, params, { signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
  }
}
