/** Keyset paging and list helpers shared by the repositories and stores. */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { Cursor } from "../application/paging.ts";
import type { State } from "../domain/index.ts";
import { type StateColumns, stateFromColumns } from "./state-mapping.ts";

/** Rows strictly after `after` in (created, id) order; `{}` for the first page. */
export function afterCursor(after: Cursor | undefined): Record<string, unknown> {
  if (after === undefined) return {};
  return {
    $or: [{ created: { $gt: after.created } }, { created: after.created, id: { $gt: after.id } }],
  };
}

/** The current states of a page of runs, in one query, by state id. */
export async function currentStatesOf(
  em: EntityManager,
  stateTable: "flow_run_state" | "task_run_state",
  runs: readonly { stateId?: string | null }[],
): Promise<(id: string | null | undefined) => State | null> {
  const ids = runs.map((run) => run.stateId).filter((id): id is string => id != null);
  const rows =
    ids.length === 0
      ? []
      : await em.execute<StateColumns[]>(
          `select id, type, name, "timestamp", message, state_details, data from ${stateTable} where id in (?)`,
          [ids],
        );
  const byId = new Map<string, State>(rows.map((row) => [row.id, stateFromColumns(row)]));
  return (id) => (id == null ? null : (byId.get(id) ?? null));
}
