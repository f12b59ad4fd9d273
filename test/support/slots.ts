/**
 * Slot accounting as the database sees it, for the invariant "active slots == live holders"
 * of global (V2) limits: a limit's `active_slots`, the leases on it, and the leases whose
 * holder run still exists.
 */
import { randomUUID } from "node:crypto";
import type { TestDatabase } from "./database.ts";

export interface SlotAccounting {
  readonly active: number;
  readonly leases: number;
  readonly liveHolders: number;
}

/** The accounting of a limit with `holders` live holders and nothing else: the invariant. */
export function heldBy(holders: number): SlotAccounting {
  return { active: holders, leases: holders, liveHolders: holders };
}

const ACCOUNTING = `
  select l.active_slots as active,
    (select count(*)::int from concurrency_lease c where l.id = any(c.resource_ids)) as leases,
    (select count(*)::int from concurrency_lease c
      where l.id = any(c.resource_ids) and (
        (c.holder_type = 'flow_run' and exists (select 1 from flow_run r where r.id = c.holder_id))
        or (c.holder_type = 'task_run' and exists (select 1 from task_run r where r.id = c.holder_id))
      )) as "liveHolders"
  from concurrency_limit_v2 l`;

/** The accounting of the deployment's limit. */
export async function deploymentSlots(
  db: TestDatabase,
  deploymentId: string,
): Promise<SlotAccounting> {
  const [row] = await db.query<SlotAccounting>(
    `${ACCOUNTING} join deployment d on d.concurrency_limit_id = l.id where d.id = $1`,
    [deploymentId],
  );
  if (row === undefined) throw new Error(`deployment ${deploymentId} has no limit`);
  return row;
}

/** The accounting of the V2 limit `tag:<tag>`. */
export async function tagSlotsV2(db: TestDatabase, tag: string): Promise<SlotAccounting> {
  const [row] = await db.query<SlotAccounting>(`${ACCOUNTING} where l.name = $1`, [`tag:${tag}`]);
  if (row === undefined) throw new Error(`no V2 limit for tag ${tag}`);
  return row;
}

/**
 * A V2 tag limit `tag:<tag>` (the API creates only V1 tag limits; the rules honour both, and
 * a V2 tag slot is a lease held by the task run).
 */
export async function insertTagLimitV2(db: TestDatabase, tag: string, limit: number) {
  await db.query(
    `insert into concurrency_limit_v2 (id, name, "limit", updated) values ($1, $2, $3, now())`,
    [randomUUID(), `tag:${tag}`, limit],
  );
}
