/**
 * The pool under faults, on a pool of one connection so that a single lost connection would
 * stop everything: a connection that dies inside a transaction is destroyed and replaced,
 * waiting for a connection is bounded, and a caller that gives up stops waiting at once.
 * The tests share one pool; each leaves it whole, as the first ones check.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StorageUnavailableError } from "../../src/domain/index.ts";
import { createLogger } from "../../src/logger.ts";
import { type Database, openDatabase } from "../../src/persistence/database.ts";
import { runTransaction } from "../../src/persistence/transaction.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

let testDatabase: TestDatabase;
let database: Database;
// Long enough for a new connection on a loaded machine; short, so the timeout test is quick.
const ACQUIRE_TIMEOUT_MS = 2000;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await openDatabase(
    {
      databaseUrl: testDatabase.url,
      dataDir: "",
      poolSize: 1,
      acquireTimeoutMs: ACQUIRE_TIMEOUT_MS,
    },
    createLogger("silent"),
  );
});
afterAll(async () => {
  await database.close();
  await testDatabase.drop();
});

const backendPid = async (em: EntityManager) =>
  (await em.execute<{ pid: number }[]>("select pg_backend_pid() as pid"))[0]!.pid;

/** Terminates a backend from outside and waits until PostgreSQL has let it go. */
async function terminate(pid: number): Promise<void> {
  await testDatabase.query("select pg_terminate_backend($1)", [pid]);
  while ((await testDatabase.query("select 1 from pg_stat_activity where pid = $1", [pid])).length)
    await new Promise((resolve) => setTimeout(resolve, 20));
}

/** A transaction that holds the pool's only connection until `release` is called. */
function holdTheConnection() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let started!: () => void;
  const holding = new Promise<void>((resolve) => {
    started = resolve;
  });
  const done = runTransaction(
    database.orm,
    async (em) => {
      await em.execute("select 1");
      started();
      await released;
    },
    {},
  );
  return { holding, release, done };
}

describe("regression: a connection lost after a fault", () => {
  const faults: [string, (em: EntityManager) => Promise<unknown>][] = [
    [
      "killed between two statements of the transaction",
      async (em) => {
        await terminate(await backendPid(em));
        return em.execute("select 1");
      },
    ],
    [
      "killed during a statement of the transaction",
      (em) => em.execute("select pg_terminate_backend(pg_backend_pid())"),
    ],
  ];

  it.each(faults)("a connection %s is destroyed and the pool serves again", async (_, fault) => {
    const failed = await runTransaction(database.orm, fault, {}).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(StorageUnavailableError);

    // With a pool of one, the next transaction only runs if the dead connection was destroyed.
    for (let i = 0; i < 3; i++) {
      expect(await runTransaction(database.orm, (em) => em.execute("select 1 as one"), {})).toEqual(
        [{ one: 1 }],
      );
    }
    expect(database.pool()).toMatchObject({ used: 0, waiting: 0, size: 1 });
  });
});

describe("waiting for a connection", () => {
  it("gives up after the acquire timeout with UNAVAILABLE", async () => {
    const held = holdTheConnection();
    await held.holding;
    const waited = await runTransaction(database.orm, (em) => em.execute("select 1"), {}).catch(
      (e: unknown) => e,
    );
    expect(waited).toBeInstanceOf(StorageUnavailableError);
    held.release();
    await held.done;
    expect(database.pool()).toMatchObject({ total: 1, idle: 1, used: 0, waiting: 0 });
  });

  it("stops at once when the caller gives up, and its work never runs", async () => {
    const held = holdTheConnection();
    await held.holding;
    const caller = new AbortController();
    let ran = false;
    const waiting = runTransaction(
      database.orm,
      async () => {
        ran = true;
      },
      { signal: caller.signal },
    ).catch((e: unknown) => e);
    const reason = new Error("the client went away");
    caller.abort(reason);
    expect(await waiting).toBe(reason);
    held.release();
    await held.done;
    // The abandoned wait got the connection afterwards and gave it straight back.
    expect(await runTransaction(database.orm, (em) => em.execute("select 1 as one"), {})).toEqual([
      { one: 1 },
    ]);
    expect(ran).toBe(false);
  });
});
