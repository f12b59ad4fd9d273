/**
 * Regression: the embedded PostgreSQL is never stopped while the flowgate that started it is
 * alive. A second server or `npm run migrate` on the same data directory used to stop the
 * first server's database for good ("stopping an orphaned embedded PostgreSQL"); now they
 * refuse and the first keeps serving. A PostgreSQL whose flowgate was SIGKILLed is still an
 * orphan, stopped at the next start, which then serves the same data.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { FlowService } from "../../gen/flowgate/v1/flow_pb.js";
import { HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import {
  healthStatus,
  isAlive,
  type RunningProcess,
  spawnFlowgate,
  spawnProcess,
} from "../support/process.ts";

let dataDir: string;
const started: RunningProcess[] = [];
beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), "flowgate-owner-"));
  chmodSync(dataDir, 0o755); // as root, PostgreSQL runs as the postgres user and must enter it
});
afterAll(async () => {
  for (const running of started) running.child.kill("SIGKILL");
  await Promise.all(started.map((running) => running.exited));
  const postgres = postmasterPid();
  if (postgres !== undefined && isAlive(postgres)) {
    process.kill(postgres, "SIGINT");
    while (isAlive(postgres)) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** Everything on the embedded PostgreSQL of `dataDir`, no DATABASE_URL. */
function start(command: "server" | "migrate"): RunningProcess {
  const env = { FLOWGATE_DATA_DIR: dataDir, FLOWGATE_BACKGROUND_SERVICES: "false" };
  const running =
    command === "server"
      ? spawnFlowgate(env)
      : spawnProcess(process.execPath, ["src/persistence/migrate-cli.ts", "up"], env);
  started.push(running);
  return running;
}

function postmasterPid(): number | undefined {
  const pidFile = path.join(dataDir, "postgres", "postmaster.pid");
  return existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").split("\n")[0]) : undefined;
}

function flowsAt(port: number) {
  return createClient(FlowService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
}

/** How the process ended up: its exit code, or "listening" if it went on to serve. */
function outcome(running: RunningProcess): Promise<number | null | "listening"> {
  return Promise.race([running.exited, running.listening.then(() => "listening" as const)]);
}

it("refuses a second server and a migration on the data directory of a running server, which keeps serving", async () => {
  const first = start("server");
  const { port, pid } = await first.listening;
  const flows = flowsAt(port);
  const { flow } = await flows.createFlow({ name: "first-server" });

  const message = `belongs to flowgate process ${pid}, which is still running`;
  const second = start("server");
  expect(await outcome(second)).toBe(1);
  expect(second.output()).toContain(message);
  const migrate = start("migrate");
  expect(await outcome(migrate)).toBe(1);
  expect(migrate.output()).toContain(message);

  expect((await flows.getFlow({ flowId: flow!.id })).flow?.name).toBe("first-server");
  expect((await flows.createFlow({ name: "still-serving" })).created).toBe(true);
  expect(await healthStatus(port)).toBe(HealthCheckResponse_ServingStatus.SERVING);
  first.child.kill("SIGTERM");
  expect(await first.exited).toBe(0);
  expect(postmasterPid()).toBeUndefined(); // a clean stop stops its PostgreSQL
});

it("stops the PostgreSQL of a SIGKILLed server at the next start, which serves the same data", async () => {
  const killed = start("server");
  const { port } = await killed.listening;
  const { flow } = await flowsAt(port).createFlow({ name: "before-sigkill" });
  killed.child.kill("SIGKILL");
  await killed.exited;
  const orphan = postmasterPid();
  expect(orphan !== undefined && isAlive(orphan)).toBe(true);

  const next = start("server");
  const { port: nextPort } = await next.listening;
  expect(next.output()).toContain("stopping an orphaned embedded PostgreSQL");
  expect(isAlive(orphan!)).toBe(false);
  expect((await flowsAt(nextPort).getFlow({ flowId: flow!.id })).flow?.name).toBe("before-sigkill");
  next.child.kill("SIGTERM");
  expect(await next.exited).toBe(0);
});
