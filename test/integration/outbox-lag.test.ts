/**
 * flowgate_outbox_lag_seconds measures undelivered events only: 0 while this replica's event
 * listener is connected (PostgreSQL delivers each notification at commit), the age of the
 * oldest event committed since the listener lost its connection while it is cut off, and 0
 * again once it is back (every watcher is then woken to re-read the outbox). The listener is
 * cut off for real: it connects as a role of its own, which is then refused new logins and
 * has its backend terminated.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createLogger } from "../../src/logger.ts";
import { type Database, openDatabase } from "../../src/persistence/database.ts";
import { PgEventNotifications } from "../../src/persistence/event-notifications.ts";
import { PgMetricsSource } from "../../src/persistence/metrics-source.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

const role = `flowgate_listener_${randomBytes(4).toString("hex")}`;
let testDatabase: TestDatabase;
let database: Database;
let notifications: PgEventNotifications;
let source: PgMetricsSource;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await openDatabase(
    { databaseUrl: testDatabase.url, dataDir: "" },
    createLogger("silent"),
  );
  await testDatabase.query(`create role ${role} login`);
  const listenerUrl = new URL(testDatabase.url);
  listenerUrl.username = role;
  notifications = new PgEventNotifications(listenerUrl.toString(), createLogger("silent"));
  await notifications.start();
  source = new PgMetricsSource(database.orm, () => database.pool(), notifications);
});

afterAll(async () => {
  await notifications?.close();
  await database?.close();
  await testDatabase.query(
    `select pg_terminate_backend(pid) from pg_stat_activity where usename = $1`,
    [role],
  );
  await testDatabase.query(`drop role if exists ${role}`);
  await testDatabase.drop();
});

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 200 && !(await condition()); attempt++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  expect(await condition()).toBe(true);
}

async function commitEvent(runId: string): Promise<void> {
  await testDatabase.query(
    `insert into event (id, event, occurred, resource_id, resource, related, payload)
     values ($1, 'flowgate.flow-run.Running', now(), $2, '{}', '[]', '{}')`,
    [randomUUID(), runId],
  );
}

it("is 0 while the listener hears every commit, even with old events in the outbox", async () => {
  await commitEvent(randomUUID());
  await new Promise((resolve) => setTimeout(resolve, 1100));
  expect(await source.outboxLagSeconds()).toBe(0);
});

it("grows with the oldest event committed while the listener is cut off, and is 0 once it is back", async () => {
  const runId = randomUUID();
  let woken = 0;
  const unsubscribe = notifications.subscribe(runId, () => woken++);

  await testDatabase.query(`alter role ${role} nologin`);
  await testDatabase.query(
    `select pg_terminate_backend(pid) from pg_stat_activity where usename = $1`,
    [role],
  );
  await until(() => notifications.deafSince() !== null);
  expect(await source.outboxLagSeconds()).toBe(0); // deaf, but nothing was missed yet

  await commitEvent(runId);
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const lag = await source.outboxLagSeconds();
  expect(lag).toBeGreaterThanOrEqual(1);
  expect(lag).toBeLessThan(60);
  expect(woken).toBe(0);

  await testDatabase.query(`alter role ${role} login`);
  await until(() => notifications.deafSince() === null);
  expect(await source.outboxLagSeconds()).toBe(0);
  // The missed event is delivered: every watcher is woken to re-read the outbox.
  await until(() => woken > 0);
  unsubscribe();
});
