/**
 * Liveness answers from the process alone, readiness follows the database. The server
 * connects as a role of its own; cutting that role off (no new logins, its backends
 * terminated) is a database outage for this server only. Readiness (the overall service "",
 * what the Kubernetes readiness probe asks) turns NOT_SERVING and back, while the
 * `liveness` service (the liveness probe's) stays SERVING throughout, so an outage takes a
 * replica out of rotation without getting it restarted.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../../../gen/grpc/health/v1/health_pb.js";
import { createTestDatabase, type TestDatabase } from "../../support/database.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";

const role = `flowgate_app_${randomBytes(4).toString("hex")}`;
let owner: TestDatabase;
let server: TestServer;

beforeAll(async () => {
  owner = await createTestDatabase();
  const name = new URL(owner.url).pathname.slice(1);
  await owner.query(`create role ${role} login`);
  await owner.query(`alter database ${name} owner to ${role}`);
  const url = new URL(owner.url);
  url.username = role;
  server = await startTestServer({
    DATABASE_URL: url.toString(),
    FLOWGATE_BACKGROUND_SERVICES: "false",
  });
});

afterAll(async () => {
  await owner.query(`alter role ${role} login`);
  await server?.stop();
  await owner.query(`select pg_terminate_backend(pid) from pg_stat_activity where usename = $1`, [
    role,
  ]);
  // The tables the migrations made and the database itself go back to the test's own role.
  await owner.query(`reassign owned by ${role} to current_user`);
  await owner.query(`drop role ${role}`);
  await owner.drop();
});

async function statusOf(service: string): Promise<ServingStatus> {
  return (await server.client(Health).check({ service })).status;
}

async function until(service: string, status: ServingStatus): Promise<void> {
  for (let attempt = 0; attempt < 150 && (await statusOf(service)) !== status; attempt++)
    await new Promise((resolve) => setTimeout(resolve, 100));
  expect(await statusOf(service)).toBe(status);
}

it("keeps liveness SERVING while readiness follows a database outage and its end", async () => {
  expect(await statusOf("")).toBe(ServingStatus.SERVING);
  expect(await statusOf("liveness")).toBe(ServingStatus.SERVING);

  await owner.query(`alter role ${role} nologin`);
  await owner.query(`select pg_terminate_backend(pid) from pg_stat_activity where usename = $1`, [
    role,
  ]);
  await until("", ServingStatus.NOT_SERVING);
  expect(await statusOf("flowgate.v1.FlowService")).toBe(ServingStatus.NOT_SERVING);
  expect(await statusOf("liveness")).toBe(ServingStatus.SERVING);

  await owner.query(`alter role ${role} login`);
  await until("", ServingStatus.SERVING);
  expect(await statusOf("liveness")).toBe(ServingStatus.SERVING);
});
