/** The database side of the metrics: read when Prometheus scrapes, never on the hot path. */
import type { MikroORM } from "@mikro-orm/postgresql";
import type { MetricsSource } from "../application/metrics-source.ts";
import { transactionsInFlight } from "./transaction.ts";

export class PgMetricsSource implements MetricsSource {
  readonly #orm: MikroORM;
  readonly #poolSize: number;

  constructor(orm: MikroORM, poolSize: number) {
    this.#orm = orm;
    this.#poolSize = poolSize;
  }

  async activeSlots() {
    const rows = await this.#orm.em
      .fork()
      .execute<{ kind: "deployment" | "tag"; limit: string; slots: number }[]>(
        `select 'deployment' as kind, name as limit, active_slots as slots from concurrency_limit_v2
       union all
       select 'tag', l.tag, (select count(*)::int from tag_concurrency_holder h where h.limit_id = l.id)
       from tag_concurrency_limit l`,
      );
    return rows.map((row) => ({ ...row, slots: Number(row.slots) }));
  }

  async outboxLagSeconds() {
    const [row] = await this.#orm.em
      .fork()
      .execute<{ lag: number | null }[]>(
        `select extract(epoch from now() - max(occurred))::float8 as lag from event`,
      );
    return Math.max(0, Number(row?.lag ?? 0));
  }

  pool() {
    return { used: transactionsInFlight(), size: this.#poolSize };
  }
}
