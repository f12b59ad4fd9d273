/**
 * Row locks of orchestration, always taken in one order so that two transactions (two
 * batches, or a batch and a lone transition, on any replica) never wait on each other in a
 * cycle: run rows first (in id order, all runs of a batch in one statement), then the rows a
 * batch's transitions may lock later — the runs' leases, tag (V1) limits, global (V2) limits,
 * each table in id order — before any transition runs. The lease reaper locks leases before
 * limits too.
 *
 * The run lock reads each run's current state in the same statement. When the lock had to
 * wait, PostgreSQL returns the run row as the previous holder committed it but the joined
 * state row from before the wait (READ COMMITTED re-checks only the locked row): a run whose
 * joined state is not the one its row points at is read again, now that it is locked.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { State, StateType } from "../../domain/index.ts";
import { tagLimitName } from "../../orchestration/index.ts";
import type { RunKindTable } from "../run-kinds.ts";
import { type StateColumns, stateFromColumns, toDate } from "../state-mapping.ts";
import { type LimitRow, limitFromRow } from "./global-limits.ts";
import type { LockedLimits } from "./locked-limits.ts";

/** A run as the lock statement returns it. */
export interface LockedRunRow {
  /** The run row's columns (for the entity). */
  readonly columns: Record<string, unknown>;
  readonly state: State | null;
  /** The newest timestamp of the run's states; `null` when it has none. */
  readonly latest: Date | null;
  /** The kind's `lockExtras` columns. */
  readonly extras: Record<string, unknown>;
}

function lockStatement(kind: RunKindTable): string {
  return `select r.*, s.id as s_id, s.type as s_type, s.name as s_name, s."timestamp" as s_timestamp,
      s.message as s_message, s.state_details as s_state_details, s.data as s_data,
      (select max("timestamp") from ${kind.state} where ${kind.runColumn} = r.id) as s_latest,
      ${kind.lockExtras.columns}
    from ${kind.run} r left join ${kind.state} s on s.id = r.state_id ${kind.lockExtras.joins}
    where r.id in (?) order by r.id for update of r`;
}

/** Locks the runs `runIds` (`FOR UPDATE`, in id order) and reads their current states. */
export async function lockRunRows(
  em: EntityManager,
  kind: RunKindTable,
  runIds: readonly string[],
): Promise<LockedRunRow[]> {
  const sql = lockStatement(kind);
  const rows = await em.execute<Record<string, unknown>[]>(sql, [[...runIds]]);
  const stale = rows.filter((row) => (row.s_id ?? null) !== (row.state_id ?? null));
  if (stale.length === 0) return rows.map(fromRow);
  // Locked by now: this statement does not wait, so its snapshot sees the holder's commit.
  const fresh = await em.execute<Record<string, unknown>[]>(sql, [stale.map((row) => row.id)]);
  const byId = new Map(fresh.map((row) => [row.id, row]));
  return rows.map((row) => fromRow(byId.get(row.id) ?? row));
}

function fromRow(row: Record<string, unknown>): LockedRunRow {
  const columns: Record<string, unknown> = {};
  const extras: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row)) {
    if (name.startsWith("x_")) extras[name] = value;
    else if (!name.startsWith("s_")) columns[name] = value;
  }
  return {
    columns,
    state:
      row.s_id == null
        ? null
        : stateFromColumns({
            id: row.s_id,
            type: row.s_type,
            name: row.s_name,
            timestamp: row.s_timestamp,
            message: row.s_message,
            state_details: row.s_state_details,
            data: row.s_data,
          } as StateColumns),
    latest: row.s_latest == null ? null : toDate(row.s_latest as Date | string),
    extras,
  };
}

/** What a batch locks after its runs: ids, tags and names of the rows its transitions may lock. */
export interface DependentRows {
  /** Runs whose leases (deployment slots, V2 tag slots) are locked, and their limits. */
  readonly leaseHolderIds: readonly string[];
  /** Tags whose V1 limit rows are locked. */
  readonly tags: readonly string[];
  /** Names of V2 limits that are locked (`tag:<tag>`). */
  readonly limitNames: readonly string[];
  /** Deployments whose V2 limit is locked. */
  readonly deploymentIds: readonly string[];
}

/**
 * Locks the rows of `rows` in the fixed order (leases, V1 tag limits, V2 limits, each by
 * id), in at most two round trips, and notes in `locked` what it locked: the tags, and the
 * V2 rows as read (the limit ports answer from them until a write of this transaction).
 */
export async function lockDependentRows(
  em: EntityManager,
  rows: DependentRows,
  locked: LockedLimits,
): Promise<void> {
  const holders = [...new Set(rows.leaseHolderIds)];
  const tags = [...new Set(rows.tags)];
  const first: string[] = [];
  if (holders.length > 0) {
    first.push(`select 1 from concurrency_lease where holder_id in (?) order by id for update`);
  }
  if (tags.length > 0) {
    first.push(`select 1 from tag_concurrency_limit where tag in (?) order by id for update`);
  }
  // One simple-protocol query: the statements run in order, each locking as it goes.
  if (first.length > 0) {
    await em.execute(
      first.join("; "),
      [...(holders.length > 0 ? [holders] : []), ...(tags.length > 0 ? [tags] : [])],
      "run",
    );
  }
  locked.noteTags(tags);
  const names = [...new Set(rows.limitNames)];
  const deployments = [...new Set(rows.deploymentIds)];
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (names.length > 0) {
    conditions.push(`name in (?)`);
    params.push(names);
  }
  if (deployments.length > 0) {
    conditions.push(`id in (select concurrency_limit_id from deployment where id in (?))`);
    params.push(deployments);
  }
  if (holders.length > 0) {
    conditions.push(
      `id in (select unnest(resource_ids) from concurrency_lease where holder_id in (?))`,
    );
    params.push(holders);
  }
  if (conditions.length === 0) return;
  const limits = await em.execute<LimitRow[]>(
    `select * from concurrency_limit_v2 where ${conditions.join(" or ")} order by id for update`,
    params,
  );
  locked.noteLimits(names, limits.map(limitFromRow));
}

/** The dependent rows of a batch of flow runs: their deployments' limits and their leases. */
export function flowRunDependents(runs: readonly { deploymentId: string | null; id: string }[]) {
  const deployed = runs.filter((run) => run.deploymentId !== null);
  return {
    leaseHolderIds: deployed.map((run) => run.id),
    tags: [],
    limitNames: [],
    deploymentIds: deployed.map((run) => run.deploymentId as string),
  } satisfies DependentRows;
}

/**
 * The dependent rows of a batch of task runs: the leases of tagged runs (and the limits they
 * hold slots on) and their tags' V2 limits; for runs proposed into RUNNING, where
 * SecureTaskConcurrencySlots takes slots, their tags' V1 limits.
 */
export function taskRunDependents(
  runs: readonly { id: string; tags: readonly string[]; proposedType: StateType | null }[],
) {
  const tagged = runs.filter((run) => run.tags.length > 0);
  return {
    leaseHolderIds: tagged.map((run) => run.id),
    tags: tagged.filter((run) => run.proposedType === "RUNNING").flatMap((run) => run.tags),
    limitNames: tagged.flatMap((run) => run.tags.map(tagLimitName)),
    deploymentIds: [],
  } satisfies DependentRows;
}
