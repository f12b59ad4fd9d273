/**
 * Regression: replicas started at once on an empty database all start. Each replica applies
 * the migrations at start; without a lock, all of them created the same tables and most
 * died with "relation flow already exists" (1–2 of 3 in 9 of 10 trials).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { healthStatus, type RunningProcess, spawnFlowgate, terminate } from "../support/process.ts";

const REPLICAS = 4;
let database: TestDatabase;
let replicas: RunningProcess[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const replica of replicas) replica.child.kill("SIGKILL");
  await database.drop();
});

it("replicas started at once on an empty database all start and serve", async () => {
  replicas = Array.from({ length: REPLICAS }, () =>
    spawnFlowgate({ DATABASE_URL: database.url, FLOWGATE_LOG_LEVEL: "info" }),
  );
  const started = await Promise.allSettled(replicas.map((replica) => replica.listening));
  const failures = started.flatMap((result) =>
    result.status === "rejected" ? [String(result.reason).slice(0, 400)] : [],
  );
  expect(failures).toEqual([]);
  for (const result of started) {
    if (result.status !== "fulfilled") continue;
    expect(await healthStatus(result.value.port)).toBe(HealthCheckResponse_ServingStatus.SERVING);
  }
  // The lock lets one replica apply everything; the others find nothing pending.
  const said = replicas.map((replica) => /"msg":"migrations: ([^"]*)"/.exec(replica.output())?.[1]);
  expect(said.filter((message) => message?.startsWith("applied ")).length).toBe(1);
  expect(said.filter((message) => message === "nothing to apply").length).toBe(REPLICAS - 1);
  const migrations = await database.query<{ name: string }>(
    "select name from mikro_orm_migrations",
  );
  expect(migrations.length).toBeGreaterThan(0);
  expect(new Set(migrations.map((row) => row.name)).size).toBe(migrations.length);
  expect(await Promise.all(replicas.map(terminate))).toEqual(Array(REPLICAS).fill(0));
});
