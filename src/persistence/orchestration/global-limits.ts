/**
 * Global (V2) concurrency limits in PostgreSQL (spec §1.7), inside the transition's
 * transaction. Rows are locked in id order before they change, so two transitions touching
 * the same limits never deadlock, and an all-or-nothing change that fails part-way is rolled
 * back to a savepoint.
 */
import type { QueryResult } from "@mikro-orm/core";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { GlobalConcurrencyLimit } from "../../domain/index.ts";
import type { Clock, GlobalConcurrencyLimits } from "../../orchestration/index.ts";
import { toDate } from "../state-mapping.ts";
import type { LockedLimits } from "./locked-limits.ts";
import { inSavepoint } from "./savepoint.ts";

/** Active slots after decay, as of the bound time parameter. */
const DECAYED = `greatest(0, active_slots - floor(slot_decay_per_second * greatest(0, extract(epoch from (?::timestamptz - updated)))))`;

/** A `concurrency_limit_v2` row as raw queries return it. */
export interface LimitRow {
  id: string;
  name: string;
  active: boolean;
  limit: number;
  active_slots: number;
  denied_slots: number;
  slot_decay_per_second: number;
  avg_slot_occupancy_seconds: number;
  updated: Date | string;
}

export class PgGlobalConcurrencyLimits implements GlobalConcurrencyLimits {
  readonly #em: EntityManager;
  readonly #clock: Clock;
  readonly #locked: LockedLimits | undefined;

  /** @param locked the limits a batch locked up front: reads of them need no query. */
  constructor(em: EntityManager, clock: Clock, locked?: LockedLimits) {
    this.#em = em;
    this.#clock = clock;
    this.#locked = locked;
  }

  async readByNames(names: readonly string[]): Promise<GlobalConcurrencyLimit[]> {
    if (names.length === 0) return [];
    const known = this.#locked?.named(names);
    if (known !== undefined) return known;
    const rows = await this.#em.execute<LimitRow[]>(
      `select * from concurrency_limit_v2 where name in (?) order by name`,
      [[...names]],
    );
    return rows.map(limitFromRow);
  }

  incrementActiveSlots(limitIds: readonly string[], slots: number): Promise<boolean> {
    const ids = unique(limitIds);
    if (ids.length === 0) return Promise.resolve(true);
    const now = this.#clock.now();
    this.#locked?.forget(ids);
    return inSavepoint(this.#em, async () => {
      await this.#lock(ids);
      const result = await this.#em.execute<QueryResult>(
        `update concurrency_limit_v2 set active_slots = ${DECAYED} + ?, updated = ?
         where id in (?) and active and ${DECAYED} + ? <= "limit"`,
        [now, slots, now, ids, now, slots],
        "run",
      );
      const took = result.affectedRows === ids.length;
      return { value: took, rollback: !took };
    });
  }

  decrementActiveSlots(
    limitIds: readonly string[],
    slots: number,
    occupancySeconds?: number,
  ): Promise<boolean> {
    const ids = unique(limitIds);
    if (ids.length === 0) return Promise.resolve(true);
    const now = this.#clock.now();
    // The reaper's occupancy feeds the moving average (spec §1.7); rules pass none.
    const occupancy =
      occupancySeconds === undefined
        ? "avg_slot_occupancy_seconds"
        : `avg_slot_occupancy_seconds + (greatest(${Number(occupancySeconds) / Math.max(slots, 1)}, 0.1) - avg_slot_occupancy_seconds) / greatest("limit" * 2, 1)`;
    this.#locked?.forget(ids);
    return inSavepoint(this.#em, async () => {
      await this.#lock(ids);
      const result = await this.#em.execute<QueryResult>(
        `update concurrency_limit_v2 set active_slots = greatest(0, ${DECAYED} - ?),
           avg_slot_occupancy_seconds = ${occupancy}, updated = ?
         where id in (?)`,
        [now, slots, now, ids],
        "run",
      );
      const gaveBack = result.affectedRows === ids.length;
      return { value: gaveBack, rollback: !gaveBack };
    });
  }

  async #lock(ids: string[]): Promise<void> {
    await this.#em.execute(
      `select id from concurrency_limit_v2 where id in (?) order by id for update`,
      [ids],
    );
  }
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)].sort();
}

export function limitFromRow(row: LimitRow): GlobalConcurrencyLimit {
  return {
    id: row.id,
    name: row.name,
    active: row.active,
    limit: Number(row.limit),
    activeSlots: Number(row.active_slots),
    deniedSlots: Number(row.denied_slots),
    slotDecayPerSecond: Number(row.slot_decay_per_second),
    avgSlotOccupancySeconds: Number(row.avg_slot_occupancy_seconds),
    updated: toDate(row.updated),
  };
}
