/**
 * Deleting runs frees their slots (run-deletion.ts), against the transactions it races:
 * a transition of the run that is in flight and about to commit a lease, and a task
 * transition that updates its row twice (the second update's foreign-key check takes a
 * key-share lock on the parent flow run, which a `FOR UPDATE` on the parent would deadlock
 * with). A plain pg client plays the in-flight transition, so the interleaving is exact.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Bench, eventually, openBench } from "./services/support.ts";
import { type TaskBench, taskBench } from "./services/task-support.ts";

let bench: Bench;
let tasks: TaskBench;
beforeAll(async () => {
  bench = await openBench();
  tasks = taskBench(bench);
});
afterAll(() => bench.close());

/** A V2 tag limit of 1 and a task run carrying its tag, under a RUNNING flow run. */
async function taskUnderTagLimit() {
  const tag = `tag-${randomUUID()}`;
  const limitId = randomUUID();
  await bench.db.query(
    `insert into concurrency_limit_v2 (id, name, "limit", updated) values ($1, $2, 1, now())`,
    [limitId, `tag:${tag}`],
  );
  const flowRunId = await bench.newRun({ type: "RUNNING" });
  const taskRunId = await tasks.newTask(flowRunId, { type: "PENDING" }, [tag]);
  return { limitId, flowRunId, taskRunId };
}

async function limitAccounting(limitId: string) {
  const [row] = await bench.db.query<{ active: number; leases: number }>(
    `select active_slots as active,
       (select count(*)::int from concurrency_lease where $1::uuid = any(resource_ids)) as leases
     from concurrency_limit_v2 where id = $1`,
    [limitId],
  );
  return row;
}

/** What a transition taking the tag slot writes: the slot and a lease held by the task run. */
async function takeSlot(client: pg.Client, limitId: string, taskRunId: string) {
  await client.query(
    `update concurrency_limit_v2 set active_slots = active_slots + 1 where id = $1`,
    [limitId],
  );
  await client.query(
    `insert into concurrency_lease (id, resource_ids, expiration, created_at, slots, holder_type, holder_id)
     values ($1, array[$2::uuid], now() + interval '300 seconds', now(), 1, 'task_run', $3)`,
    [randomUUID(), limitId, taskRunId],
  );
}

/** Resolves once some session of the bench's database waits for a lock. */
async function someoneWaitsForALock(): Promise<void> {
  await eventually(async () => {
    const rows = await bench.db.query(
      `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    );
    return rows.length > 0;
  });
}

/** Runs `use` on a session of its own, in a transaction that `use` commits. */
async function inTransaction(use: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: bench.db.url });
  await client.connect();
  try {
    await client.query("begin");
    await use(client);
  } finally {
    await client.end();
  }
}

it("DeleteTaskRun waits for the run's transition in flight and frees the lease it committed", async () => {
  const { limitId, taskRunId } = await taskUnderTagLimit();
  await inTransaction(async (transition) => {
    await transition.query(`select id from task_run where id = $1 for update`, [taskRunId]);
    await takeSlot(transition, limitId, taskRunId);
    const deleting = tasks.taskRuns.delete(taskRunId);
    await someoneWaitsForALock();
    await transition.query("commit");
    await deleting;
  });
  expect(await limitAccounting(limitId)).toEqual({ active: 0, leases: 0 });
});

it("DeleteFlowRun does not deadlock with a task transition that updates its row twice, and frees its lease", async () => {
  const { limitId, flowRunId, taskRunId } = await taskUnderTagLimit();
  await inTransaction(async (transition) => {
    await transition.query(`select id from task_run where id = $1 for update`, [taskRunId]);
    await transition.query(`update task_run set updated = now() where id = $1`, [taskRunId]);
    const deleting = bench.flowRuns.delete(flowRunId);
    await someoneWaitsForALock();
    // The second update of a row this transaction wrote re-checks its foreign key: a
    // key-share lock on the flow run row, which the delete must not be holding exclusively.
    await transition.query(`update task_run set updated = now() where id = $1`, [taskRunId]);
    await takeSlot(transition, limitId, taskRunId);
    await transition.query("commit");
    await deleting;
  });
  expect(await limitAccounting(limitId)).toEqual({ active: 0, leases: 0 });
  const left = await bench.db.query(`select 1 from task_run where id = $1`, [taskRunId]);
  expect(left).toHaveLength(0);
});

it("a delete also frees a lease whose holder was already gone, but not one whose holder lives", async () => {
  const { limitId, taskRunId: live } = await taskUnderTagLimit();
  await inTransaction(async (client) => {
    await takeSlot(client, limitId, live);
    await client.query("commit");
  });
  const orphanLimit = await taskUnderTagLimit();
  await inTransaction(async (client) => {
    await takeSlot(client, orphanLimit.limitId, randomUUID());
    await client.query("commit");
  });
  const unrelated = await taskUnderTagLimit();
  await tasks.taskRuns.delete(unrelated.taskRunId);

  expect(await limitAccounting(orphanLimit.limitId)).toEqual({ active: 0, leases: 0 });
  expect(await limitAccounting(limitId)).toEqual({ active: 1, leases: 1 });
});
