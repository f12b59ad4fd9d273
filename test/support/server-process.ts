/**
 * flowgate as its own process over a fresh database, started like `npm start` (the same
 * `--max-old-space-size`), for tests that must see whether the process survives a request
 * and how much memory it uses: an in-process server shares the test's heap and would neither
 * crash nor be measurable on its own.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createTestDatabase, type TestDatabase } from "./database.ts";

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
  const child = spawn(process.execPath, [...startFlags(), "src/main.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      FLOWGATE_HOST: "127.0.0.1",
      FLOWGATE_PORT: "0",
      FLOWGATE_BACKGROUND_SERVICES: "false",
      FLOWGATE_SHUTDOWN_GRACE_MS: "1000",
      DATABASE_URL: database.url,
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const errorLines: string[] = [];
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await listeningPort(child, errorLines);
  const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` });
  return {
    target: `127.0.0.1:${port}`,
    database,
    client: (service) => createClient(service, transport),
    alive: () => child.exitCode === null && child.signalCode === null,
    memory: () => memoryOf(child),
    errorLines: () => errorLines,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      await database.drop();
    },
  };
}

/** The node flags of `npm start` (package.json), so the heap limit is the production one. */
function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  return String(pkg.scripts.start).match(/--max-old-space-size=\d+/g) ?? [];
}

/** Resolves with the port of the "flowgate listening" line; keeps the error lines after it. */
function listeningPort(child: ChildProcess, errorLines: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    let pending = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const entry = parse(line);
        if (entry?.msg === "flowgate listening") resolve(Number(entry.port));
        if (typeof entry?.level === "number" && entry.level >= 50) errorLines.push(line);
      }
    });
    child.once("exit", (code) =>
      reject(new Error(`flowgate exited with ${code} before listening`)),
    );
  });
}

function parse(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function memoryOf(child: ChildProcess): { rss: number; peakRss: number } {
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return { rss: kib("VmRSS") * 1024, peakRss: kib("VmHWM") * 1024 };
}
