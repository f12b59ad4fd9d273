/**
 * Transitions of different runs combined into one transaction (a batch), on a real
 * PostgreSQL. With one batch in flight, the first of a burst of calls runs alone and every
 * other call of the burst waits for it, so the rest of the burst forms one batch: the tests
 * below know which calls shared a transaction. That they did is read back from the database
 * (`xmin`, the id of the transaction that inserted a row).
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowRunUseCases } from "../../src/application/flow-runs.ts";
import { systemClock, uuidv7Ids } from "../../src/application/system.ts";
import { TaskRunUseCases } from "../../src/application/task-runs.ts";
import type { FlowRun, State, StateInit } from "../../src/domain/index.ts";
import { createLogger } from "../../src/logger.ts";
import {
  ALL_ORCHESTRATION_STATES,
  CoreFlowPolicy,
  defaultOrchestrationSettings,
  type FlowContext,
  type FlowOrchestrationDeps,
  MarkLateRunsPolicy,
  OrchestrationRule,
  Policy,
} from "../../src/orchestration/index.ts";
import { type Database, openDatabase } from "../../src/persistence/database.ts";
import { PgFlowRunStore } from "../../src/persistence/flow-run-store.ts";
import { batchStatistics, TransitionBatcher } from "../../src/persistence/orchestration/batcher.ts";
import { PgTaskRunStore } from "../../src/persistence/task-run-store.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

let db: TestDatabase;
let database: Database;
let flowRuns: FlowRunUseCases;
let taskRuns: TaskRunUseCases;

beforeAll(async () => {
  db = await createTestDatabase();
  database = await openDatabase({ databaseUrl: db.url, dataDir: "" }, createLogger("silent"));
  const batcher = new TransitionBatcher(database.orm, { batchesInFlight: 1, maxBatchSize: 64 });
  const options = {
    clock: systemClock,
    ids: uuidv7Ids,
    settings: defaultOrchestrationSettings(),
    random: Math.random,
    batcher,
  };
  flowRuns = new FlowRunUseCases(new PgFlowRunStore(database.orm, options), systemClock, uuidv7Ids);
  taskRuns = new TaskRunUseCases(new PgTaskRunStore(database.orm, options), systemClock, uuidv7Ids);
});
afterAll(async () => {
  await database.close();
  await db.drop();
});

async function newFlowRuns(
  count: number,
  initial: StateInit = { type: "SCHEDULED" },
  deploymentId: string | null = null,
) {
  const flowId = uuidv7Ids.newId();
  await db.query(
    "insert into flow (id, name, tags, created, updated) values ($1::uuid, $1::text, '{}', now(), now())",
    [flowId],
  );
  if (deploymentId !== null)
    await db.query("update deployment set flow_id = $1 where id = $2", [flowId, deploymentId]);
  const runs: string[] = [];
  for (let i = 0; i < count; i++) {
    const { record } = await flowRuns.create(
      {
        flowId,
        deploymentId,
        name: `run-${i}`,
        parameters: {},
        tags: [],
        parentTaskRunId: null,
        infrastructurePid: null,
        idempotencyKey: null,
        empiricalPolicy: {
          retries: null,
          retryDelay: null,
          pauseKeys: [],
          resuming: false,
          retryType: null,
        },
      },
      initial,
    );
    runs.push(record.run.id);
  }
  return runs;
}

async function newTaskRuns(flowRunId: string, count: number) {
  const runs: string[] = [];
  for (let i = 0; i < count; i++) {
    const { record } = await taskRuns.create(
      {
        flowRunId,
        taskKey: "task",
        dynamicKey: uuidv7Ids.newId(),
        name: `task-${i}`,
        tags: [],
        cacheKey: null,
        cacheExpiration: null,
        empiricalPolicy: { retries: null, retryDelay: null, retryJitterFactor: null },
      },
      { type: "PENDING" },
    );
    runs.push(record.run.id);
  }
  return runs;
}

/** The id of the transaction that wrote each state (flow or task run states). */
async function writers(table: "flow_run_state" | "task_run_state", states: (State | null)[]) {
  const ids = states.map((state) => state?.id);
  const rows = await db.query<{ id: string; xid: string }>(
    `select id, xmin::text as xid from ${table} where id = any($1::uuid[])`,
    [ids],
  );
  const byId = new Map(rows.map((row) => [row.id, row.xid]));
  return ids.map((id) => (id === undefined ? undefined : byId.get(id)));
}

function since(before: ReturnType<typeof batchStatistics>) {
  const now = batchStatistics();
  return {
    batches: now.batches - before.batches,
    transitions: now.transitions - before.transitions,
  };
}

/** Fails its after-hook for the run named "faulty": a bug in one transition of a batch. */
class FailForFaultyRun extends OrchestrationRule<FlowRun, FlowOrchestrationDeps> {
  static override readonly ruleName = "FailForFaultyRun";
  static override readonly FROM_STATES = ALL_ORCHESTRATION_STATES;
  static override readonly TO_STATES = ALL_ORCHESTRATION_STATES;
  protected override async afterTransition(
    _initial: State | null,
    _validated: State | null,
    context: FlowContext,
  ): Promise<void> {
    if (context.run.name === "faulty") throw new Error("bug in one transition");
  }
}
const failingPolicy = new Policy<FlowRun, FlowOrchestrationDeps>("FailingPolicy", [
  ...CoreFlowPolicy.rules,
  FailForFaultyRun,
]);

describe("a batch in which one transition fails", () => {
  it("fails only the run whose state violates a constraint; the others commit", async () => {
    const runs = await newFlowRuns(10);
    await db.query(`create or replace function refuse_state() returns trigger language plpgsql as
      $$ begin if new.name = 'Refused' then raise exception 'refused by trigger'; end if; return new; end $$`);
    await db.query(
      "create trigger refuse_state before insert on flow_run_state for each row execute function refuse_state()",
    );
    try {
      const before = batchStatistics();
      const results = await Promise.all(
        runs.map((flowRunId, i) =>
          flowRuns.setState({
            flowRunId,
            state: { type: "PENDING", name: i === 5 ? "Refused" : null },
            force: false,
          }),
        ),
      );
      // The first call alone, the other nine in one batch that failed at its flush, then
      // each of the nine alone.
      expect(since(before)).toEqual({ batches: 11, transitions: 19 });
      expect(results[5]!.status).toBe("ABORT");
      expect((results[5]!.details as { reason: string }).reason).toMatch(
        /^Error validating state: .*refused by trigger/,
      );
      for (const [i, result] of results.entries()) {
        if (i !== 5) expect(result.status).toBe("ACCEPT");
      }
      // Run 5 kept its state (one row); each other run has its new PENDING state.
      const rows = await db.query<{ id: string; states: number; current: string }>(
        `select r.id, count(s.id)::int as states, (select type from flow_run_state where id = r.state_id) as current
         from flow_run r join flow_run_state s on s.flow_run_id = r.id
         where r.id = any($1::uuid[]) group by r.id`,
        [runs],
      );
      const byId = new Map(rows.map((row) => [row.id, `${row.current}×${row.states}`]));
      expect(runs.map((id) => byId.get(id))).toEqual(
        runs.map((_, i) => (i === 5 ? "SCHEDULED×1" : "PENDING×2")),
      );
    } finally {
      await db.query("drop trigger refuse_state on flow_run_state");
    }
  });

  it("fails only the call whose transition has a bug, and leaves nothing of it", async () => {
    const runs = await newFlowRuns(6);
    await db.query("update flow_run set name = 'faulty' where id = $1", [runs[3]]);
    const outcomes = await Promise.allSettled(
      runs.map((flowRunId) =>
        flowRuns.setState({
          flowRunId,
          state: { type: "PENDING" },
          force: false,
          policy: failingPolicy,
        }),
      ),
    );
    expect(outcomes[3]).toMatchObject({
      status: "rejected",
      reason: { message: "bug in one transition" },
    });
    for (const [i, outcome] of outcomes.entries()) {
      if (i !== 3)
        expect(outcome).toMatchObject({ status: "fulfilled", value: { status: "ACCEPT" } });
    }
    const [faulty] = await db.query<{ states: number; events: number }>(
      `select (select count(*)::int from flow_run_state where flow_run_id = $1) as states,
              (select count(*)::int from event where resource_id = $1) as events`,
      [runs[3]],
    );
    // Only what the run's creation wrote: its SCHEDULED state and that state's event.
    expect(faulty).toEqual({ states: 1, events: 1 });
  });
});

describe("batching", () => {
  it("commits the calls of a burst in one transaction, the first one alone", async () => {
    const runs = await newFlowRuns(8);
    const results = await Promise.all(
      runs.map((flowRunId) =>
        flowRuns.setState({ flowRunId, state: { type: "PENDING" }, force: false }),
      ),
    );
    expect(results.every((result) => result.status === "ACCEPT")).toBe(true);
    const xids = await writers(
      "flow_run_state",
      results.map((r) => r.state),
    );
    expect(new Set(xids.slice(1)).size).toBe(1);
    expect(xids[0]).not.toBe(xids[1]);
  });

  it("never puts two proposals for one run in one batch: the second sees the first's state", async () => {
    const [blocker, run, other] = await newFlowRuns(3, { type: "RUNNING" });
    const [, first, , second] = await Promise.all([
      flowRuns.setState({ flowRunId: blocker!, state: { type: "COMPLETED" }, force: false }),
      flowRuns.setState({
        flowRunId: run!,
        state: { type: "RUNNING", name: "first" },
        force: false,
      }),
      flowRuns.setState({ flowRunId: other!, state: { type: "COMPLETED" }, force: false }),
      flowRuns.setState({
        flowRunId: run!,
        state: { type: "RUNNING", name: "second" },
        force: false,
      }),
    ]);
    expect(second!.context.initialState?.id).toBe(first!.state?.id);
    const [firstXid, secondXid] = await writers("flow_run_state", [first!.state, second!.state]);
    expect(firstXid).not.toBe(secondXid);
  });

  it("accepts exactly one of two identical proposals for one run arriving together", async () => {
    const [blocker, run] = await newFlowRuns(2, { type: "PENDING" });
    const proposal = { type: "RUNNING" as const, stateDetails: { transitionId: "worker-1" } };
    const [, a, b] = await Promise.all([
      flowRuns.setState({ flowRunId: blocker!, state: { type: "RUNNING" }, force: false }),
      flowRuns.setState({ flowRunId: run!, state: proposal, force: false }),
      flowRuns.setState({ flowRunId: run!, state: proposal, force: false }),
    ]);
    expect([a!.status, b!.status]).toEqual(["ACCEPT", "REJECT"]);
    expect(b!.state?.id).toBe(a!.state?.id);
  });

  it("keeps flow runs and task runs in separate batches", async () => {
    const [parent] = await newFlowRuns(1, { type: "RUNNING" });
    const flows = await newFlowRuns(6);
    const tasks = await newTaskRuns(parent!, 6);
    // Interleaved, so that a batch mixing kinds would have the chance to.
    const calls = flows.flatMap((flowRunId, i) => [
      flowRuns.setState({ flowRunId, state: { type: "PENDING" }, force: false }),
      taskRuns.setState({ taskRunId: tasks[i]!, state: { type: "RUNNING" }, force: false }),
    ]);
    const results = await Promise.all(calls);
    expect(results.every((result) => result.status === "ACCEPT")).toBe(true);
    const flowXids = await writers(
      "flow_run_state",
      results.filter((_, i) => i % 2 === 0).map((r) => r.state),
    );
    const taskXids = await writers(
      "task_run_state",
      results.filter((_, i) => i % 2 === 1).map((r) => r.state),
    );
    expect(flowXids.some((xid) => taskXids.includes(xid))).toBe(false);
    // Both kinds were batched: some transaction wrote several states of its kind.
    expect(new Set(flowXids).size).toBeLessThan(flowXids.length);
    expect(new Set(taskXids).size).toBeLessThan(taskXids.length);
  });

  it("runs a dry run alone: it rolls back only itself", async () => {
    const runs = await newFlowRuns(4);
    const [, committed, dry, alsoCommitted] = await Promise.all(
      runs.map((flowRunId, i) =>
        flowRuns.setState({ flowRunId, state: { type: "PENDING" }, force: false, dryRun: i === 2 }),
      ),
    );
    expect([committed!.status, dry!.status, alsoCommitted!.status]).toEqual([
      "ACCEPT",
      "ACCEPT",
      "ACCEPT",
    ]);
    const [dryXid, ...xids] = await writers("flow_run_state", [
      dry!.state,
      committed!.state,
      alsoCommitted!.state,
    ]);
    expect(dryXid).toBeUndefined();
    expect(xids[0]).toBeDefined();
    expect(xids[0]).toBe(xids[1]);
  });
});

describe("callers that give up", () => {
  it("drops a call whose deadline passed before its batch started, without a trace", async () => {
    const runs = await newFlowRuns(3);
    const gaveUp = AbortSignal.abort(new Error("deadline exceeded"));
    const outcomes = await Promise.allSettled(
      runs.map((flowRunId, i) =>
        flowRuns.setState({
          flowRunId,
          state: { type: "PENDING" },
          force: false,
          signal: i === 1 ? gaveUp : undefined,
        }),
      ),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    const [row] = await db.query<{ state_type: string }>(
      "select state_type from flow_run where id = $1",
      [runs[1]],
    );
    expect(row?.state_type).toBe("SCHEDULED");
  });

  it("rolls back a batch whose caller gave up before COMMIT, and commits the others without it", async () => {
    const runs = await newFlowRuns(4);
    const controller = new AbortController();
    const outcomes = await Promise.allSettled(
      runs.map((flowRunId, i) =>
        flowRuns.setState({
          flowRunId,
          state: { type: "PENDING" },
          force: false,
          signal: i === 3 ? controller.signal : undefined,
          // The caller of the last run gives up while its batch is running.
          beforeCommit: i === 2 ? async () => controller.abort(new Error("gave up")) : undefined,
        }),
      ),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "rejected",
    ]);
    const rows = await db.query<{ id: string; states: number }>(
      `select r.id, (select count(*)::int from flow_run_state s where s.flow_run_id = r.id) as states
       from flow_run r where r.id = any($1::uuid[])`,
      [runs],
    );
    const states = new Map(rows.map((row) => [row.id, row.states]));
    expect(runs.map((id) => states.get(id))).toEqual([2, 2, 2, 1]);
  });
});

describe("reads inside a batch", () => {
  it("regression: a late run sees the deployment slot an earlier transition of its batch took", async () => {
    // A CANCEL_NEW deployment with one slot; the first run of the batch takes the slot, so
    // the late run after it must be cancelled, not marked Late (the limit's numbers must not
    // come from a copy read before the slot was taken).
    const [{ id: deploymentId }] = (await db.query<{ id: string }>(
      `with l as (insert into concurrency_limit_v2 (id, name, "limit", updated)
                  values (gen_random_uuid(), 'deployment:' || gen_random_uuid(), 1, now()) returning id),
            f as (insert into flow (id, name, tags, created, updated)
                  values (gen_random_uuid(), gen_random_uuid()::text, '{}', now(), now()) returning id)
       insert into deployment (id, flow_id, name, concurrency_limit_id, concurrency_options, created, updated)
       select gen_random_uuid(), f.id, 'cancel-new', l.id,
         '{"collisionStrategy": "CANCEL_NEW", "gracePeriodSeconds": null}', now(), now()
       from l, f returning id`,
    )) as [{ id: string }];
    const [blocker] = await newFlowRuns(1);
    const [taker, late] = await newFlowRuns(2, { type: "SCHEDULED" }, deploymentId);
    const [, took, marked] = await Promise.all([
      flowRuns.setState({ flowRunId: blocker!, state: { type: "PENDING" }, force: false }),
      flowRuns.setState({ flowRunId: taker!, state: { type: "PENDING" }, force: false }),
      flowRuns.setState({
        flowRunId: late!,
        state: { type: "SCHEDULED", name: "Late" },
        force: false,
        policy: MarkLateRunsPolicy,
      }),
    ]);
    expect(took!.status).toBe("ACCEPT");
    expect(marked!.status).toBe("REJECT");
    expect(marked!.state?.type).toBe("CANCELLED");
    const [xid, otherXid] = await writers("flow_run_state", [took!.state, marked!.state]);
    expect(xid).toBe(otherXid);
  });
});

describe("the batch's lock", () => {
  it("reads the state another transaction committed while the lock waited for it", async () => {
    const [runId] = await newFlowRuns(1);
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      // Another replica's transition holds the run and moves it to PENDING.
      await other.query("begin");
      await other.query("select 1 from flow_run where id = $1 for update", [runId]);
      const pendingId = uuidv7Ids.newId();
      await other.query(
        `insert into flow_run_state (id, flow_run_id, type, name, "timestamp", state_details)
         values ($1, $2, 'PENDING', 'Pending', now() + interval '1 second', '{}')`,
        [pendingId, runId],
      );
      await other.query(
        "update flow_run set state_id = $1, state_type = 'PENDING', state_name = 'Pending' where id = $2",
        [pendingId, runId],
      );
      const proposal = flowRuns.setState({
        flowRunId: runId!,
        state: { type: "RUNNING" },
        force: false,
      });
      // The proposal's lock waits for the other transaction, which then commits.
      await waitUntilBlocked(runId!);
      await other.query("commit");
      const result = await proposal;
      expect(result.context.initialState?.id).toBe(pendingId);
      expect(result.status).toBe("ACCEPT");
    } finally {
      await other.end();
    }
  });
});

/** Resolves once some session waits for a lock (the proposal's lock statement). */
async function waitUntilBlocked(runId: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const [row] = await db.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database() and query like '%flow_run r%'",
    );
    if ((row?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no transition waited for run ${runId}`);
}
