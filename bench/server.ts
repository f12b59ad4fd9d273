/**
 * The flowgate server under test, run as a child process of bench/run.ts so that it has an
 * event loop of its own (as in production) and its RSS and CPU are its own. Started with the
 * database URL in DATABASE_URL; talks to the parent over IPC:
 * - sends `{ type: "ready", port }` once listening;
 * - on `{ type: "mark" }` starts a measurement window, on `{ type: "report" }` answers
 *   `{ type: "report", peakRss, cpuMs, queries, batches, batchedTransitions }` for the window;
 * - on `{ type: "stop" }` drains and exits 0.
 * With BENCH_CPU_PROF=<dir>, each measurement window (mark → report) is CPU-profiled through
 * the inspector and written to <dir>/flowgate-window-<n>.cpuprofile (warm-up and run
 * creation stay out of it; open in Chrome DevTools or summarise with bench/profile-top.ts).
 * Background services are off: they would add load unrelated to the calls measured.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { startApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { batchStatistics } from "../src/persistence/orchestration/batcher.ts";
import { RssSampler } from "./stats.ts";

export interface ServerReport {
  readonly type: "report";
  readonly peakRss: number;
  /** User + system CPU time of the server process in the window. */
  readonly cpuMs: number;
  /** SQL statements sent by MikroORM's `pg` clients in the window. */
  readonly queries: number;
  /** Batches (shared transactions of transitions) run in the window, and the transitions in them. */
  readonly batches: number;
  readonly batchedTransitions: number;
  /** With BENCH_SQL_SAMPLE=n: the first n statements of the window. */
  readonly sample: string[];
}

export type ServerMessage = { type: "ready"; port: number } | ServerReport;

const sampleSize = Number(process.env.BENCH_SQL_SAMPLE ?? 0);
let queries = 0;
let sample: string[] = [];
countQueries();

const app = await startApp(
  loadConfig({
    FLOWGATE_HOST: "127.0.0.1",
    FLOWGATE_PORT: "0",
    FLOWGATE_SHUTDOWN_GRACE_MS: "2000",
    FLOWGATE_BACKGROUND_SERVICES: "false",
    DATABASE_URL: process.env.DATABASE_URL,
  }),
  createLogger("silent"),
);

const rss = new RssSampler();
let cpuAtMark = process.cpuUsage();
let batchesAtMark = batchStatistics();
const profileDir = process.env.BENCH_CPU_PROF;
const profiler = profileDir ? new Session() : null;
let window = 0;
if (profiler !== null) {
  profiler.connect();
  await profiler.post("Profiler.enable");
  await profiler.post("Profiler.setSamplingInterval", { interval: 200 });
}

process.on("message", async (message: { type: string }) => {
  if (message.type === "mark") {
    rss.take();
    cpuAtMark = process.cpuUsage();
    batchesAtMark = batchStatistics();
    queries = 0;
    sample = [];
    await profiler?.post("Profiler.start");
  } else if (message.type === "report") {
    const cpu = process.cpuUsage(cpuAtMark);
    const batches = batchStatistics();
    if (profiler !== null && profileDir !== undefined) {
      const { profile } = await profiler.post("Profiler.stop");
      mkdirSync(profileDir, { recursive: true });
      writeFileSync(
        path.join(profileDir, `flowgate-window-${++window}.cpuprofile`),
        JSON.stringify(profile),
      );
    }
    send({
      type: "report",
      peakRss: rss.take(),
      cpuMs: (cpu.user + cpu.system) / 1000,
      queries,
      batches: batches.batches - batchesAtMark.batches,
      batchedTransitions: batches.transitions - batchesAtMark.transitions,
      sample,
    });
  } else if (message.type === "stop") {
    rss.stop();
    await app.stop();
    process.exit(0);
  }
});
send({ type: "ready", port: app.port });

function send(message: ServerMessage): void {
  process.send?.(message);
}

/** Counts every statement through the `pg` that MikroORM's driver uses (one round trip each). */
function countQueries(): void {
  const ormRequire = createRequire(createRequire(import.meta.url).resolve("@mikro-orm/postgresql"));
  const { Client } = ormRequire("pg") as typeof import("pg");
  const query = Client.prototype.query as (...args: unknown[]) => unknown;
  Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    queries++;
    if (sample.length < sampleSize) {
      const text = typeof args[0] === "string" ? args[0] : (args[0] as { text?: string }).text;
      sample.push(String(text).replace(/\s+/g, " ").slice(0, 160));
    }
    return query.apply(this, args);
  } as typeof Client.prototype.query;
}
