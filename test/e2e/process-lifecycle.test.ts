/**
 * The real process: `node src/main.ts` starts, serves, and on SIGTERM drains and exits 0,
 * also when the signal comes during its start; so does the README's own command, `npm start`;
 * invalid configuration makes it exit before serving, naming the variable.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowService } from "../../gen/flowgate/v1/flow_pb.js";
import { ADVISORY_LOCK_NAMESPACE } from "../../src/persistence/advisory-locks.ts";
import { MIGRATIONS_LOCK_KEY } from "../../src/persistence/migrate.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { isAlive, spawnFlowgate, spawnNpm } from "../support/process.ts";

let database: TestDatabase;
/** Server processes a failed test may have left behind. */
const serverPids: number[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const pid of serverPids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  await database.drop();
});

describe("the flowgate process", () => {
  it("serves, then drains on SIGTERM and exits 0; a restart finds the data again", async () => {
    const first = spawnFlowgate({ DATABASE_URL: database.url });
    const { port } = await first.listening;
    const flows = createClient(
      FlowService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }),
    );
    const { flow } = await flows.createFlow({ name: "survives-restart" });
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);

    const second = spawnFlowgate({ DATABASE_URL: database.url });
    const { port: secondPort } = await second.listening;
    const again = createClient(
      FlowService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${secondPort}` }),
    );
    expect((await again.getFlow({ flowId: flow!.id })).flow?.name).toBe("survives-restart");
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
  });

  it("regression: SIGTERM to `npm start` drains the server and leaves no node process behind", async () => {
    // npm signals its `sh -c`; dash does not pass the signal on, so without `exec` in the
    // script node was orphaned and kept serving.
    const npm = spawnNpm(["start"], { DATABASE_URL: database.url });
    const { pid: serverPid } = await npm.listening;
    serverPids.push(serverPid);
    expect(serverPid).not.toBe(npm.child.pid);
    npm.child.kill("SIGTERM");
    expect(await npm.exited).toBe(0);
    expect(npm.output()).toContain('"msg":"draining"');
    expect(npm.output()).toContain('"msg":"stopped"');
    expect(isAlive(serverPid)).toBe(false);
  });

  it("regression: a SIGTERM during start-up stops the server once started, and it exits 0", async () => {
    // Signal handlers were installed only after the start, so a SIGTERM that came while
    // starting (the `npm start` test above sometimes sent it between "flowgate listening" and
    // the end of the start) killed the process undrained. Made deterministic here: the test
    // holds the migration lock, so the process waits in its start until the lock is free.
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      const lock = [ADVISORY_LOCK_NAMESPACE, MIGRATIONS_LOCK_KEY];
      await holder.query("select pg_advisory_lock($1, $2)", lock);
      const server = spawnFlowgate({ DATABASE_URL: database.url });
      serverPids.push(server.child.pid!);
      while (!server.output().includes("another process is applying migrations"))
        await new Promise((resolve) => setTimeout(resolve, 50));
      server.child.kill("SIGTERM");
      await holder.query("select pg_advisory_unlock($1, $2)", lock);
      expect(await server.exited).toBe(0);
      expect(server.output()).toContain('"msg":"flowgate listening"');
      expect(server.output()).toContain('"msg":"stopped"');
    } finally {
      await holder.end();
    }
  });

  it("refuses invalid configuration with exit 2 and a message naming the variable", async () => {
    const child = spawnFlowgate({ FLOWGATE_PORT: "seventy" });
    expect(await child.exited).toBe(2);
    expect(child.output()).toContain("FLOWGATE_PORT");
  });
});
