/** The database side of the metrics: read when Prometheus scrapes, never on the hot path. */
import type { MikroORM } from "@mikro-orm/postgresql";
import type { MetricsSource, PoolStats, SlotUsage } from "../application/metrics-source.ts";
import type { PgEventNotifications } from "./event-notifications.ts";

export class PgMetricsSource implements MetricsSource {
  readonly #orm: MikroORM;
  readonly #poolSize: number;
  readonly #notifications: PgEventNotifications;

  constructor(orm: MikroORM, poolSize: number, notifications: PgEventNotifications) {
    this.#orm = orm;
    this.#poolSize = poolSize;
    this.#notifications = notifications;
  }

  async activeSlots(): Promise<SlotUsage[]> {
    const rows = await this.#orm.em.fork().execute<SlotUsage[]>(
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
    const [row] = await this.#orm.em
      .fork()
      .execute<{ oldest: Date | string | null }[]>(
        `select min(occurred) as oldest from event where occurred >= ?`,
        [deafSince],
      );
    if (row?.oldest == null) return 0;
    return Math.max(0, (Date.now() - new Date(row.oldest).getTime()) / 1000);
  }

  async pool(): Promise<PoolStats> {
    const pool = await this.#orm.driver.getConnection().getNativeClient();
    return {
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: this.#poolSize,
    };
  }
}
