/**
 * The database side of the metrics: read when Prometheus scrapes, never on the hot path.
 * Each query has its own deadline, so that a scrape never waits on a database that does not
 * answer; the pool's figures need no query at all.
 */
import type { MikroORM } from "@mikro-orm/postgresql";
import type { MetricsSource, PoolStats } from "../application/metrics-source.ts";

/** How long a scrape's query may take, waiting for a connection included. */
const QUERY_TIMEOUT_MS = 2000;

export class PgMetricsSource implements MetricsSource {
  readonly #orm: MikroORM;
  readonly #pool: () => PoolStats;

  constructor(orm: MikroORM, pool: () => PoolStats) {
    this.#orm = orm;
    this.#pool = pool;
  }

  async activeSlots() {
    const rows = await this.#query<{ kind: "deployment" | "tag"; limit: string; slots: number }>(
      `select 'deployment' as kind, name as limit, active_slots as slots from concurrency_limit_v2
       union all
       select 'tag', l.tag, (select count(*)::int from tag_concurrency_holder h where h.limit_id = l.id)
       from tag_concurrency_limit l`,
    );
    return rows.map((row) => ({ ...row, slots: Number(row.slots) }));
  }

  async outboxLagSeconds() {
    const [row] = await this.#query<{ lag: number | null }>(
      `select extract(epoch from now() - max(occurred))::float8 as lag from event`,
    );
    return Math.max(0, Number(row?.lag ?? 0));
  }

  pool() {
    return this.#pool();
  }

  #query<T>(sql: string): Promise<T[]> {
    return this.#orm.em
      .fork()
      .execute<T[]>(sql, [], { signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
  }
}
