/**
 * A PostgreSQL of the test's own (the embedded binaries, in a temporary data directory), so
 * that a test can break it the ways production databases break: a fast restart, a crash of
 * the postmaster (SIGKILL, then crash recovery), or a freeze (SIGSTOP: it accepts TCP
 * connections and answers nothing, as a hung host or a network partition does). It always
 * comes back on the same port, so clients must find it again by themselves. The machine's
 * shared PostgreSQL is never touched.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { createLogger } from "../../src/logger.ts";
import {
  type EmbeddedPostgres,
  startEmbeddedPostgres,
} from "../../src/persistence/embedded-postgres.ts";

const log = createLogger("silent");

export interface OwnPostgres {
  readonly url: string;
  /** One query on a fresh connection (so that it works right after a restart). */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    values?: unknown[],
  ): Promise<T[]>;
  /** Fast shutdown (open transactions rolled back, clients disconnected); start it again separately. */
  stop(): Promise<void>;
  /** Starts it again on the same port after {@link stop} or {@link kill}. */
  start(): Promise<void>;
  /** SIGKILL of the postmaster, as the OOM killer does; its backends exit when they notice. */
  kill(): Promise<void>;
  /** SIGSTOP of the postmaster and every backend: connections open, nothing answers. */
  freeze(): void;
  thaw(): void;
  /** Stops it for good and removes its data directory. */
  destroy(): Promise<void>;
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "flowgate-own-pg-"));
  chmodSync(dataDir, 0o755); // as root, PostgreSQL runs as the postgres user and must enter it
  let server: EmbeddedPostgres | undefined = await startEmbeddedPostgres(dataDir, log);
  const { port, url } = server;
  const pidFile = path.join(server.dataDir, "postmaster.pid");
  const postmasterPid = () => Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  let frozen: number[] = [];
  const thaw = () => {
    for (const each of frozen) if (isAlive(each)) process.kill(each, "SIGCONT");
    frozen = [];
  };

  return {
    url,
    async query(sql, values) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql, values)).rows;
      } finally {
        await client.end();
      }
    },
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async start() {
      // After a crash the old backends may still hold the shared memory for a moment, and
      // PostgreSQL refuses to start until they are gone.
      for (let attempt = 1; ; attempt++) {
        try {
          server = await startEmbeddedPostgres(dataDir, log, port);
          return;
        } catch (error) {
          if (attempt >= 50) throw error;
          await sleep(100);
        }
      }
    },
    async kill() {
      const pid = postmasterPid();
      // The handle of a killed postmaster is dead: never stop it again.
      server = undefined;
      process.kill(pid, "SIGKILL");
      while (isAlive(pid)) await sleep(20);
    },
    freeze() {
      const pid = postmasterPid();
      frozen = [pid, ...childrenOf(pid)];
      for (const each of frozen) process.kill(each, "SIGSTOP");
    },
    thaw,
    async destroy() {
      thaw();
      await server?.stop();
      server = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Direct children of `pid` (PostgreSQL's backends and auxiliary processes), from /proc. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/N/stat is the parent pid; the command (field 2) is in parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (parent === pid) children.push(Number(entry));
    } catch {
      // The process exited meanwhile.
    }
  }
  return children;
}
