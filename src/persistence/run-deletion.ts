/**
 * Deleting runs frees the concurrency slots they hold, in the deleting transaction.
 *
 * A flow run holds a deployment slot through a lease naming it as holder; a task run holds
 * tag slots through V2 `tag:` leases naming it and through V1 holder rows. The holder rows
 * go with the task run (foreign-key cascade), but a lease has no foreign key to its holder:
 * without this, a deleted holder kept its slots until its lease expired (300 s by default)
 * and new runs were turned away meanwhile. Deleting a flow run also deletes its task runs
 * and deleting a flow its flow runs (cascades), so every delete ends the same way: the
 * leases whose holder no longer exists are deleted and their slots given back
 * ({@link freeLeasesOfDeletedHolders}; that also frees a lease an older delete left behind).
 *
 * Locking. A transition of a run being deleted may be in flight and about to commit a
 * lease; the delete waits for it (row locks) and frees what it committed, because the sweep
 * is a statement issued after the delete. The runs are locked parents first, each level in
 * id order, with `FOR NO KEY UPDATE` on parents: that still serializes with their own
 * transitions (`FOR UPDATE`), but not with the key-share lock a child's transition takes on
 * its parent row when it updates its own row a second time (a foreign-key check). Taking
 * `FOR UPDATE` on a parent while waiting for a child's transition would deadlock with it.
 * The children are locked before the parent row is deleted for the same reason. A run
 * created under a parent while it is being deleted is cascade-deleted and its leases are
 * swept like the others (in that narrow race its transition may deadlock with the delete:
 * one of the two is answered ABORTED and nothing is half-done).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { giveBackDeletedLeaseSlots } from "./freed-lease-slots.ts";
import { pgTextArray } from "./sql.ts";

interface DeletedLeaseRow {
  id: string;
  resource_ids: string[];
  slots: number;
}

/** Delete the flow, its flow runs and their task runs, freeing their slots. */
export async function deleteFlowFreeingSlots(
  em: EntityManager,
  flowId: string,
  now: Date,
): Promise<boolean> {
  const flows = await lockIds(em, `select id from flow where id = ? for no key update`, flowId);
  if (flows.length === 0) return false;
  const flowRunIds = await lockIds(
    em,
    `select id from flow_run where flow_id = ? order by id for no key update`,
    flowId,
  );
  await lockTaskRunsOf(em, flowRunIds);
  await em.execute(`delete from flow where id = ?`, [flowId], "run");
  await freeLeasesOfDeletedHolders(em, now);
  return true;
}

/** Delete the flow run and its task runs, freeing their slots. */
export async function deleteFlowRunFreeingSlots(
  em: EntityManager,
  flowRunId: string,
  now: Date,
): Promise<boolean> {
  const flowRunIds = await lockIds(
    em,
    `select id from flow_run where id = ? for no key update`,
    flowRunId,
  );
  if (flowRunIds.length === 0) return false;
  await lockTaskRunsOf(em, flowRunIds);
  await em.execute(`delete from flow_run where id = ?`, [flowRunId], "run");
  await freeLeasesOfDeletedHolders(em, now);
  return true;
}

/** Delete the task run, freeing its slots. */
export async function deleteTaskRunFreeingSlots(
  em: EntityManager,
  taskRunId: string,
  now: Date,
): Promise<boolean> {
  const deleted = await lockIds(em, `delete from task_run where id = ? returning id`, taskRunId);
  if (deleted.length === 0) return false;
  await freeLeasesOfDeletedHolders(em, now);
  return true;
}

/**
 * Delete every lease whose holder run no longer exists and give back its slots. Rows another
 * transaction has locked are skipped: only the reaper or another delete locks a lease whose
 * holder is gone, and it is releasing that lease itself.
 */
async function freeLeasesOfDeletedHolders(em: EntityManager, now: Date): Promise<void> {
  const deleted = await em.execute<DeletedLeaseRow[]>(
    `delete from concurrency_lease where id in (
       select c.id from concurrency_lease c
       where (c.holder_type = 'flow_run'
              and not exists (select 1 from flow_run r where r.id = c.holder_id))
          or (c.holder_type = 'task_run'
              and not exists (select 1 from task_run t where t.id = c.holder_id))
       for update of c skip locked)
     returning id, resource_ids, slots`,
  );
  await giveBackDeletedLeaseSlots(
    em,
    deleted.map((row) => ({ id: row.id, resourceIds: row.resource_ids, slots: Number(row.slots) })),
    now,
  );
}

async function lockTaskRunsOf(em: EntityManager, flowRunIds: readonly string[]): Promise<void> {
  if (flowRunIds.length === 0) return;
  await em.execute(
    `select id from task_run where flow_run_id = any(?::uuid[]) order by id for update`,
    [pgTextArray(flowRunIds)],
  );
}

async function lockIds(em: EntityManager, sql: string, id: string): Promise<string[]> {
  const rows = await em.execute<{ id: string }[]>(sql, [id]);
  return rows.map((row) => row.id);
}
