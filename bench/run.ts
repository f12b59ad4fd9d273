/**
 * `npm run bench`: flowgate's SetFlowRunState against the raw-SQL baseline, from 1, 16 and 64
 * concurrent clients, then its SetTaskRunState against the same baseline on task runs from 16
 * clients (bench/targets.ts), on a fresh database that is dropped at the end.
 *
 * Database: DATABASE_URL (an admin URL; a `flowgate_bench_<random>` database is created on
 * it) or, when unset, an embedded PostgreSQL in a temporary directory.
 * Knobs: BENCH_SECONDS (measured seconds per level, 8), BENCH_WARMUP_SECONDS (2),
 * BENCH_WORKLOADS ("flow,task"), BENCH_LEVELS (flow clients, "1,16,64"),
 * BENCH_TASK_LEVELS (task clients, "16"), BENCH_TARGETS ("flowgate,raw-sql"), BENCH_TRANSPORTS
 * (gRPC connections, 4), BENCH_CPU_PROF (a directory: each measured level of the server is CPU-profiled into it),
 * BENCH_SQL_SAMPLE (n: print the first n statements the server sends in each level).
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { createLogger } from "../src/logger.ts";
import { ormOptions } from "../src/persistence/database.ts";
import { startEmbeddedPostgres } from "../src/persistence/embedded-postgres.ts";
import { driveLifecycles } from "./lifecycle.ts";
import { RawSqlBaseline } from "./raw-sql-baseline.ts";
import { addRatios, print, type Row } from "./report.ts";
import { ServerProcess } from "./server-process.ts";
import { MB, RssSampler, summarize } from "./stats.ts";
import { buildTargets, type Target, type Workload } from "./targets.ts";

const env = process.env;
const SECONDS = Number(env.BENCH_SECONDS ?? 8);
const WARMUP_SECONDS = Number(env.BENCH_WARMUP_SECONDS ?? 2);
const WORKLOADS = (env.BENCH_WORKLOADS ?? "flow,task").split(",") as Workload[];
const LEVELS: Record<Workload, number[]> = {
  flow: (env.BENCH_LEVELS ?? "1,16,64").split(",").map(Number),
  task: (env.BENCH_TASK_LEVELS ?? "16").split(",").map(Number),
};
const TARGETS = (env.BENCH_TARGETS ?? "flowgate,raw-sql").split(",");
const TRANSPORTS = Number(env.BENCH_TRANSPORTS ?? 4);
/** flowgate's pool: the raw baseline gets as many connections. */
const POOL_SIZE = (ormOptions("postgres://localhost/x").pool as { max: number }).max;

const started = performance.now();
const database = await freshDatabase();
let server: ServerProcess | undefined;
let raw: RawSqlBaseline | undefined;
try {
  server = await ServerProcess.start(database.url);
  raw = new RawSqlBaseline(database.url, POOL_SIZE);
  const benchRss = new RssSampler();
  const all = await buildTargets(WORKLOADS, server, raw, benchRss, TRANSPORTS);
  const targets = all.filter((t) => TARGETS.includes(t.name));

  const rows: Row[] = [];
  for (const workload of WORKLOADS) {
    for (const clients of LEVELS[workload]) {
      for (const target of targets.filter((t) => t.workload === workload)) {
        const row = await measure(target, clients);
        rows.push(row);
        console.error(
          `${workload} ${target.name} × ${clients}: ${row.transitionsPerSecond.toFixed(0)} transitions/s, ` +
            `p50 ${row.p50Ms.toFixed(1)} ms, p99 ${row.p99Ms.toFixed(1)} ms`,
        );
      }
    }
  }
  benchRss.stop();
  addRatios(rows);
  print(rows, SECONDS);
  const out = path.join(import.meta.dirname, "results", "latest.json");
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        database: env.DATABASE_URL === undefined ? "embedded" : "DATABASE_URL",
        seconds: SECONDS,
        warmupSeconds: WARMUP_SECONDS,
        transports: TRANSPORTS,
        poolSize: POOL_SIZE,
        workloads: WORKLOADS,
        rows,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);
} finally {
  await server?.stop();
  await raw?.close();
  await database.drop();
  console.error(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

/** Warms up, sizes the run pool from the warm-up rate, then measures one level. */
async function measure(target: Target, clients: number): Promise<Row> {
  const warmRuns = await target.createRuns(100 + 8 * clients);
  const warm = await driveLifecycles(clients, warmRuns, WARMUP_SECONDS * 1000, target.transition);
  const estimate = (warm.transitions / warm.elapsedMs) * 1000;
  // Three transitions a run, with room for the measured rate to beat the warm-up's.
  const runs = await target.createRuns(
    Math.ceil((estimate * SECONDS * target.spare) / 3) + clients,
  );
  const cpu0 = process.cpuUsage();
  const idle0 = machineCpu();
  await target.mark();
  const result = await driveLifecycles(clients, runs, SECONDS * 1000, target.transition);
  const { peakRss, rssOf, server: report } = await target.report();
  const idle1 = machineCpu();
  const cpu = process.cpuUsage(cpu0);
  const latency = summarize(result.latenciesMs);
  const n = Math.max(1, result.transitions);
  const label = `${target.workload} ${target.name} × ${clients}`;
  if (report !== null && report.sample.length > 0) {
    console.error(`first statements of ${label}:`);
    for (const statement of report.sample) console.error(`  ${statement}`);
  }
  if (result.firstError !== null) console.error(`${label}: ${result.firstError}`);
  return {
    workload: target.workload,
    target: target.name,
    clients,
    transitions: result.transitions,
    seconds: result.elapsedMs / 1000,
    transitionsPerSecond: (result.transitions / result.elapsedMs) * 1000,
    p50Ms: latency.p50,
    p99Ms: latency.p99,
    maxMs: latency.max,
    peakRssMb: peakRss / MB,
    rssOf,
    notAccepted: result.notAccepted,
    errors: result.errors,
    ranOut: result.ranOut,
    sqlPerTransition: report === null ? null : report.queries / n,
    meanBatchSize:
      report === null || report.batches === 0 ? null : report.batchedTransitions / report.batches,
    serverCpuMsPerTransition: report === null ? null : report.cpuMs / n,
    benchCpuMsPerTransition: (cpu.user + cpu.system) / 1000 / n,
    machineCpuBusyPercent:
      idle0 === null || idle1 === null
        ? null
        : (100 * (1 - (idle1.idle - idle0.idle) / (idle1.total - idle0.total))) | 0,
  };
}

/** Jiffies of the whole machine (Linux), to tell a CPU-bound level from a waiting one. */
function machineCpu(): { idle: number; total: number } | null {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1);
    const values = fields.map(Number);
    const total = values.reduce((a, b) => a + b, 0);
    return { idle: (values[3] ?? 0) + (values[4] ?? 0), total };
  } catch {
    return null;
  }
}

interface BenchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

async function freshDatabase(): Promise<BenchDatabase> {
  const adminUrl = env.DATABASE_URL;
  if (adminUrl !== undefined && adminUrl !== "") {
    const name = `flowgate_bench_${randomBytes(6).toString("hex")}`;
    await adminQuery(adminUrl, `create database ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      drop: () => adminQuery(adminUrl, `drop database if exists ${name} with (force)`),
    };
  }
  // The embedded PostgreSQL may run as the `postgres` OS user, which must reach the directory.
  const dir = mkdtempSync(path.join(tmpdir(), "flowgate-bench-"));
  chmodSync(dir, 0o755);
  const embedded = await startEmbeddedPostgres(dir, createLogger("silent"));
  return {
    url: embedded.url,
    async drop() {
      await embedded.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
