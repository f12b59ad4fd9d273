/**
 * The lease reaper's transaction (spec §1.7, Prefect's repossessor): delete expired lease
 * rows and give their slots back, together.
 *
 * The LeaseStore contract says a lease is released exactly once, by whoever deletes its row.
 * So the reaper deletes first (`DELETE … RETURNING`), skipping rows a transition holds
 * locked (it is releasing or renewing them right now), and decrements only for the rows it
 * actually deleted (freed-lease-slots.ts). Lock order matches the transitions': lease rows,
 * then limit rows, the limits of the whole batch locked up front in id order so two reapers
 * or a reaper and a transition never wait on each other in a cycle.
 *
 * Expired tag-slot holders are simpler: the holder row *is* the slot, so one
 * `DELETE … WHERE expires_at < now … RETURNING` per batch frees them. Rows a transition
 * holds locked (it is renewing, re-taking or releasing that slot) are skipped, so the
 * reaper never waits on a transition and never frees a slot whose expiry is being moved.
 */
import type { MikroORM } from "@mikro-orm/postgresql";
import type { ExpiredLeaseReaper, ReapedLease, ReapedTagSlot } from "../application/background.ts";
import { translatingErrors } from "./errors.ts";
import { giveBackDeletedLeaseSlots } from "./freed-lease-slots.ts";

interface DeletedLeaseRow {
  id: string;
  resource_ids: string[];
  slots: number;
  created_at: Date;
}

interface DeletedHolderRow {
  limit_id: string;
  tag: string | null;
  task_run_id: string;
  expires_at: Date;
}

export class PgExpiredLeaseReaper implements ExpiredLeaseReaper {
  readonly #orm: MikroORM;

  constructor(orm: MikroORM) {
    this.#orm = orm;
  }

  reapExpiredLeases(now: Date, limit: number): Promise<ReapedLease[]> {
    return translatingErrors(() =>
      this.#orm.em.fork().transactional(async (em) => {
        const deleted = await em.execute<DeletedLeaseRow[]>(
          `delete from concurrency_lease where id in (
             select id from concurrency_lease where expiration < ?
             order by expiration, id limit ? for update skip locked)
           returning id, resource_ids, slots, created_at`,
          [now, limit],
        );
        const reaped = deleted.map((row) => ({
          id: row.id,
          resourceIds: row.resource_ids,
          slots: Number(row.slots),
          occupancySeconds: Math.max(
            0,
            (now.getTime() - new Date(row.created_at).getTime()) / 1000,
          ),
        }));
        const missing = await giveBackDeletedLeaseSlots(em, reaped, now);
        return reaped.map(({ id, ...lease }) => ({
          leaseId: id,
          ...lease,
          missingLimitIds: lease.resourceIds.filter((limitId) => missing.has(limitId)),
        }));
      }),
    );
  }

  reapExpiredTagSlots(now: Date, limit: number): Promise<ReapedTagSlot[]> {
    return translatingErrors(async () => {
      const rows = await this.#orm.em.fork().execute<DeletedHolderRow[]>(
        `with freed as (
           delete from tag_concurrency_holder h
           using (select limit_id, task_run_id from tag_concurrency_holder
                  where expires_at < ?
                  order by expires_at, limit_id, task_run_id limit ? for update skip locked) x
           where h.limit_id = x.limit_id and h.task_run_id = x.task_run_id and h.expires_at < ?
           returning h.limit_id, h.task_run_id, h.expires_at)
         select f.limit_id, l.tag, f.task_run_id, f.expires_at
         from freed f left join tag_concurrency_limit l on l.id = f.limit_id
         order by l.tag, f.task_run_id`,
        [now, limit, now],
      );
      return rows.map((row) => ({
        limitId: row.limit_id,
        tag: row.tag,
        taskRunId: row.task_run_id,
        expiresAt: new Date(row.expires_at),
      }));
    });
  }
}
