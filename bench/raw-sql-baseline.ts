/**
 * The raw-SQL baseline: the same transaction shape as one SetFlowRunState (or
 * SetTaskRunState, on task_run/task_run_state), through `pg`, on flowgate's schema — lock the
 * run row, insert the new state, point the run at it, commit. Five round trips, no ORM, no
 * rules (so no tag slot and no cache entry for tasks), no gRPC: the ceiling of one
 * transaction per transition. The state's timestamp is the transaction's `now()`
 * (microseconds), so two transitions of one run never collide on the unique (run, timestamp).
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Target, Transition } from "./lifecycle.ts";
import { cacheKeyOf } from "./task-load.ts";

export class RawSqlBaseline {
  readonly #pool: pg.Pool;

  /** `poolSize` should match flowgate's MikroORM pool (src/persistence/database.ts). */
  constructor(url: string, poolSize: number) {
    this.#pool = new pg.Pool({ connectionString: url, max: poolSize });
    // A connection still closing when the database is dropped must not crash the bench.
    this.#pool.on("error", () => {});
  }

  /** `count` SCHEDULED runs of `flowId` (run rows and their state rows), in one statement. */
  async createRuns(flowId: string, count: number): Promise<string[]> {
    const { rows } = await this.#pool.query<{ id: string }>(
      `with runs as (
         select gen_random_uuid() as id, gen_random_uuid() as state_id, i
         from generate_series(1, $2::int) as i
       ), inserted as (
         insert into flow_run (id, flow_id, name, parameters, empirical_policy, state_id,
           state_type, state_name, state_timestamp, created, updated)
         select id, $1, 'raw-' || i, '{}', '{}', state_id, 'SCHEDULED', 'Scheduled',
           now() - interval '1 second', now(), now()
         from runs returning id
       ), states as (
         insert into flow_run_state (id, flow_run_id, type, name, "timestamp", state_details)
         select state_id, id, 'SCHEDULED', 'Scheduled', now() - interval '1 second',
           jsonb_build_object('scheduledTime', now() - interval '1 second')
         from runs
       )
       select id from inserted`,
      [flowId, count],
    );
    return rows.map((row) => row.id);
  }

  /** `count` due SCHEDULED task runs of `flowRunId` tagged `tag`, in one statement. */
  async createTaskRuns(flowRunId: string, tag: string, count: number): Promise<string[]> {
    const { rows } = await this.#pool.query<{ id: string }>(
      `with runs as (
         select gen_random_uuid() as id, gen_random_uuid() as state_id
         from generate_series(1, $2::int)
       ), inserted as (
         insert into task_run (id, flow_run_id, task_key, dynamic_key, name, tags,
           empirical_policy, state_id, state_type, state_name, state_timestamp, created, updated)
         select id, $1, 'raw-task', id::text, 'raw-task', array[$3::text], '{}', state_id,
           'SCHEDULED', 'Scheduled', now() - interval '1 second', now(), now()
         from runs returning id
       ), states as (
         insert into task_run_state (id, task_run_id, type, name, "timestamp", state_details)
         select state_id, id, 'SCHEDULED', 'Scheduled', now() - interval '1 second',
           jsonb_build_object('scheduledTime', now() - interval '1 second')
         from runs
       )
       select id from inserted`,
      [flowRunId, count, tag],
    );
    return rows.map((row) => row.id);
  }

  readonly transition: Transition = (runId, target) => this.#move("flow_run", runId, target);
  /** RUNNING and COMPLETED states carry the cache key in their details, as flowgate's do. */
  readonly taskTransition: Transition = (runId, target) =>
    this.#move(
      "task_run",
      runId,
      target,
      target === "PENDING" ? {} : { cacheKey: cacheKeyOf(runId) },
    );

  async #move(
    run: "flow_run" | "task_run",
    runId: string,
    target: Target,
    details: object = {},
  ): Promise<boolean> {
    const client = await this.#pool.connect();
    try {
      await client.query("begin");
      const { rows } = await client.query(`select * from ${run} where id = $1 for update`, [runId]);
      if (rows.length === 0) throw new Error(`${run} ${runId} not found`);
      const stateId = randomUUID();
      await client.query(
        `insert into ${run}_state (id, ${run}_id, type, name, "timestamp", message, state_details, data)
         values ($1, $2, $3, $4, now(), null, $5::jsonb, null)`,
        [stateId, runId, target, stateName(target), JSON.stringify(details)],
      );
      await client.query(
        `update ${run} set state_id = $1, state_type = $2, state_name = $3,
           state_timestamp = now(), updated = now() where id = $4`,
        [stateId, target, stateName(target), runId],
      );
      await client.query("commit");
      return true;
    } catch (error) {
      await client.query("rollback").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.#pool.end();
  }
}

function stateName(target: Target): string {
  return target.charAt(0) + target.slice(1).toLowerCase();
}
