/**
 * Reads of a run's committed history shared by flow runs and task runs (List*RunStates,
 * Watch*Run): the two kinds differ only in their table names. History comes with each
 * state's decision (the policy and the rules that fired and fizzled when it was written).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { State } from "../domain/index.ts";
import { type StateColumns, stateFromColumns } from "./state-mapping.ts";

export interface RunTables {
  readonly run: "flow_run" | "task_run";
  readonly state: "flow_run_state" | "task_run_state";
  /** The state table's reference to its run. */
  readonly runColumn: "flow_run_id" | "task_run_id";
}

export const FLOW_RUN_TABLES: RunTables = {
  run: "flow_run",
  state: "flow_run_state",
  runColumn: "flow_run_id",
};
export const TASK_RUN_TABLES: RunTables = {
  run: "task_run",
  state: "task_run_state",
  runColumn: "task_run_id",
};

/** The run's states, oldest first; `null` when the run does not exist. */
export async function listStates(
  em: EntityManager,
  tables: RunTables,
  runId: string,
): Promise<State[] | null> {
  const rows = await em.execute<(Partial<StateColumns> & { run: string })[]>(
    `select r.id as run, s.id, s.type, s.name, s."timestamp", s.message, s.state_details, s.data, s.decision
     from ${tables.run} r left join ${tables.state} s on s.${tables.runColumn} = r.id
     where r.id = ? order by s."timestamp"`,
    [runId],
  );
  if (rows.length === 0) return null;
  return rows.filter((row) => row.id != null).map((row) => stateFromColumns(row as StateColumns));
}

/** Committed states of the run after outbox sequence number `afterSeq`, in commit order. */
export async function statesSince(
  em: EntityManager,
  tables: RunTables,
  runId: string,
  afterSeq: number,
): Promise<{ seq: number; state: State }[]> {
  const rows = await em.execute<(StateColumns & { seq: string })[]>(
    `select e.seq, s.id, s.type, s.name, s."timestamp", s.message, s.state_details, s.data, s.decision
     from event e join ${tables.state} s on s.id = e.id
     where e.resource_id = ? and e.seq > ? order by e.seq`,
    [runId, afterSeq],
  );
  return rows.map((row) => ({ seq: Number(row.seq), state: stateFromColumns(row) }));
}

/**
 * The run's current state and its newest outbox sequence number, read in one statement so
 * that they agree; `null` when the run does not exist.
 */
export async function watchStart(
  em: EntityManager,
  tables: RunTables,
  runId: string,
): Promise<{ state: State | null; seq: number } | null> {
  const rows = await em.execute<(Partial<StateColumns> & { seq: string | null })[]>(
    `select (select max(seq) from event where resource_id = r.id) as seq,
       s.id, s.type, s.name, s."timestamp", s.message, s.state_details, s.data, s.decision
     from ${tables.run} r left join ${tables.state} s on s.id = r.state_id where r.id = ?`,
    [runId],
  );
  const row = rows[0];
  if (row === undefined) return null;
  return {
    state: row.id == null ? null : stateFromColumns(row as StateColumns),
    seq: Number(row.seq ?? 0),
  };
}
