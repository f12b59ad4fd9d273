/**
 * flowgate as its own process over a fresh database, started like `npm start` (the same
 * `--max-old-space-size`), for tests that must see whether the process survives a request
 * and how much memory it uses: an in-process server shares the test's heap and would neither
 * crash nor be measurable on its own.
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createTestDatabase, type TestDatabase } from "./database.ts";
import { spawnProcess, terminate } from "./process.ts";

const root = path.resolve(import.meta.dirname, "../..");

export interface ServerProcess {
  /** `127.0.0.1:<port>`, for raw grpc-js clients. */
  readonly target: string;
  readonly database: TestDatabase;
  client<T extends DescService>(service: T): Client<T>;
  /** False once the process has exited (crashed, or was stopped). */
  alive(): boolean;
  /** Its resident set size now and at its peak (Linux VmRSS and VmHWM), in bytes. */
  memory(): { rss: number; peakRss: number };
  /** The log lines it wrote at level error or above (pino level ≥ 50), e.g. "unhandled error". */
  errorLines(): readonly string[];
  /** SIGTERM, wait for the exit, drop the database. */
  stop(): Promise<void>;
}

export async function startServerProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  const database = await createTestDatabase();
  const running = spawnProcess(process.execPath, [...startFlags(), "src/main.ts"], {
    FLOWGATE_BACKGROUND_SERVICES: "false",
    FLOWGATE_SHUTDOWN_GRACE_MS: "1000",
    DATABASE_URL: database.url,
    ...env,
  });
  const errorLines = collectErrorLines(running.child);
  const { port } = await running.listening;
  const { child } = running;
  const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` });
  return {
    target: `127.0.0.1:${port}`,
    database,
    client: (service) => createClient(service, transport),
    alive: () => child.exitCode === null && child.signalCode === null,
    memory: () => memoryOf(child),
    errorLines: () => errorLines,
    async stop() {
      await terminate(running);
      await database.drop();
    },
  };
}

/** The node flags of `npm start` (package.json), so the heap limit is the production one. */
function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  return String(pkg.scripts.start).match(/--max-old-space-size=\d+/g) ?? [];
}

/** The JSON log lines of level error or above, as they arrive (read line by line, once). */
function collectErrorLines(child: ChildProcess): string[] {
  const lines: string[] = [];
  let pending = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const complete = (pending + chunk.toString()).split("\n");
    pending = complete.pop() ?? "";
    for (const line of complete) if (logLevel(line) >= 50) lines.push(line);
  });
  return lines;
}

function logLevel(line: string): number {
  try {
    const { level } = JSON.parse(line) as { level?: unknown };
    return typeof level === "number" ? level : 0;
  } catch {
    return 0;
  }
}

function memoryOf(child: ChildProcess): { rss: number; peakRss: number } {
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return { rss: kib("VmRSS") * 1024, peakRss: kib("VmHWM") * 1024 };
}
