/**
 * A service test bench on a fresh PostgreSQL database: the real flow-run use cases, queries,
 * reaper and advisory locks, all on one fake clock that only moves when a test says so.
 * Every factory makes fresh rows; nothing is shared between tests.
 */
import { FlowRunUseCases } from "../../../src/application/flow-runs.ts";
import { uuidv7Ids } from "../../../src/application/system.ts";
import type { StateInit } from "../../../src/domain/index.ts";
import { createLogger } from "../../../src/logger.ts";
import { type Clock, defaultOrchestrationSettings } from "../../../src/orchestration/index.ts";
import {
  ADVISORY_LOCK_NAMESPACE,
  PgAdvisoryLocks,
} from "../../../src/persistence/advisory-locks.ts";
import { PgBackgroundQueries } from "../../../src/persistence/background-queries.ts";
import { type Database, openDatabase } from "../../../src/persistence/database.ts";
import { PgFlowRunStore } from "../../../src/persistence/flow-run-store.ts";
import { PgExpiredLeaseReaper } from "../../../src/persistence/lease-reaper.ts";
import { createTestDatabase, type TestDatabase } from "../../support/database.ts";

export const T0 = new Date("2030-01-01T12:00:00.000Z");
export const log = createLogger(process.env.TEST_LOG_LEVEL === "debug" ? "debug" : "silent");

/** A clock that moves only when told to. */
export class TestClock implements Clock {
  #ms = T0.getTime();
  now(): Date {
    return new Date(this.#ms);
  }
  set(date: Date): void {
    this.#ms = date.getTime();
  }
  advance(seconds: number): void {
    this.#ms += seconds * 1000;
  }
  /** `seconds` from now (negative: ago). */
  fromNow(seconds: number): Date {
    return new Date(this.#ms + seconds * 1000);
  }
}

export interface Bench {
  readonly db: TestDatabase;
  readonly clock: TestClock;
  readonly flowRuns: FlowRunUseCases;
  readonly queries: PgBackgroundQueries;
  readonly reaper: PgExpiredLeaseReaper;
  /** The bench's ORM, for stores a test builds itself (task runs, leases). */
  readonly database: Database;
  /** A replica's own advisory-lock session (closed by `close`). */
  newLocks(): PgAdvisoryLocks;
  /** A deployment with a concurrency limit of `limit` slots. */
  newDeployment(limit: number): Promise<{ flowId: string; deploymentId: string; limitId: string }>;
  newRun(
    initial: StateInit,
    options?: {
      flowId?: string;
      deploymentId?: string;
      infrastructurePid?: string;
      parentTaskRunId?: string;
    },
  ): Promise<string>;
  /** The run's current state columns. */
  run(runId: string): Promise<{ state_type: string; state_name: string; state_id: string }>;
  close(): Promise<void>;
}

export async function openBench(): Promise<Bench> {
  const db = await createTestDatabase();
  const database: Database = await openDatabase({ databaseUrl: db.url, dataDir: "" }, log);
  const clock = new TestClock();
  const store = new PgFlowRunStore(database.orm, {
    clock,
    ids: uuidv7Ids,
    settings: defaultOrchestrationSettings(),
    random: Math.random,
  });
  const flowRuns = new FlowRunUseCases(store, clock, uuidv7Ids);
  const locks: PgAdvisoryLocks[] = [];

  async function newFlow(): Promise<string> {
    const flowId = uuidv7Ids.newId();
    await db.query(
      `insert into flow (id, name, tags, created, updated) values ($1::uuid, $1::text, '{}', now(), now())`,
      [flowId],
    );
    return flowId;
  }

  return {
    db,
    clock,
    flowRuns,
    queries: new PgBackgroundQueries(database.orm),
    reaper: new PgExpiredLeaseReaper(database.orm),
    database,
    newLocks() {
      const replica = new PgAdvisoryLocks(db.url, log);
      locks.push(replica);
      return replica;
    },
    async newDeployment(limit) {
      const flowId = await newFlow();
      const deploymentId = uuidv7Ids.newId();
      const limitId = uuidv7Ids.newId();
      await db.query(
        `insert into concurrency_limit_v2 (id, name, "limit", updated) values ($1, 'deployment:' || $2::text, $3, $4)`,
        [limitId, deploymentId, limit, T0],
      );
      await db.query(
        `insert into deployment (id, flow_id, name, concurrency_limit_id, created, updated)
         values ($1, $2, 'prod', $3, now(), now())`,
        [deploymentId, flowId, limitId],
      );
      return { flowId, deploymentId, limitId };
    },
    async newRun(initial, options = {}) {
      const { record } = await flowRuns.create(
        {
          flowId: options.flowId ?? (await newFlow()),
          deploymentId: options.deploymentId ?? null,
          name: "run",
          parameters: {},
          tags: [],
          parentTaskRunId: options.parentTaskRunId ?? null,
          infrastructurePid: options.infrastructurePid ?? null,
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
      return record.run.id;
    },
    async run(runId) {
      const [row] = await db.query<{ state_type: string; state_name: string; state_id: string }>(
        "select state_type, state_name, state_id from flow_run where id = $1",
        [runId],
      );
      if (row === undefined) throw new Error(`no run ${runId}`);
      return row;
    },
    async close() {
      for (const replica of locks) await replica.close();
      await database.close();
      await db.drop();
    },
  };
}

/** How many sessions hold the advisory lock `key` in the bench's database. */
export async function advisoryHolders(db: TestDatabase, key: number): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `select count(*)::int as n from pg_locks
     where locktype = 'advisory' and granted and classid = $1::bigint::oid and objid = $2::bigint::oid
       and objsubid = 2 and database = (select oid from pg_database where datname = current_database())`,
    [ADVISORY_LOCK_NAMESPACE, key],
  );
  return row?.n ?? 0;
}

/** Resolves once `condition` holds (polls the database; fails after ~10 s). */
export async function eventually(condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("condition never held");
}
