/**
 * Real flowgate processes for the e2e tests: `node src/main.ts` (or any command) with a clean
 * environment, its output collected, and promises for "listening" and the exit code.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  Health,
  type HealthCheckResponse_ServingStatus,
} from "../../gen/grpc/health/v1/health_pb.js";

export interface RunningProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote so far, stdout and stderr interleaved. */
  output(): string;
  /**
   * Resolves once the server logs "flowgate listening", with its port and the pid of the
   * process that logged it (under `npm start`, not the npm process); rejects if it exits first.
   */
  readonly listening: Promise<{ port: number; pid: number }>;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

/** Runs `command args` in the repository with only PATH and HOME from this environment. */
export function spawnProcess(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
): RunningProcess {
  const child = spawn(command, args, {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      FLOWGATE_HOST: "127.0.0.1",
      FLOWGATE_PORT: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const listening = new Promise<{ port: number; pid: number }>((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const line = /^.*"msg":"flowgate listening".*$/m.exec(output)?.[0];
      if (line !== undefined) {
        const { port, pid } = JSON.parse(line) as { port: number; pid: number };
        resolve({ port, pid });
      }
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    exited.then((code) => reject(new Error(`exited with ${code} before listening: ${output}`)));
  });
  listening.catch(() => undefined); // a test that expects the exit need not await it
  return { child, output: () => output, listening, exited };
}

/** `node src/main.ts` on the Node that runs the tests (the project's Node 24). */
export function spawnFlowgate(env: Record<string, string>): RunningProcess {
  return spawnProcess(process.execPath, ["src/main.ts"], env);
}

/** `npm <args>` with the npm that runs the tests (`npx vitest` sets npm_execpath), else PATH's. */
export function spawnNpm(args: readonly string[], env: Record<string, string>): RunningProcess {
  const npmCli = process.env.npm_execpath;
  return npmCli === undefined
    ? spawnProcess("npm", args, env)
    : spawnProcess(process.env.npm_node_execpath ?? process.execPath, [npmCli, ...args], env);
}

/** The health status of the server on `port` (`""`: the whole server). */
export async function healthStatus(port: number): Promise<HealthCheckResponse_ServingStatus> {
  const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  return (await health.check({ service: "" })).status;
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends SIGTERM and resolves with the exit code. */
export async function terminate(running: RunningProcess): Promise<number | null> {
  if (running.child.exitCode === null && running.child.signalCode === null)
    running.child.kill("SIGTERM");
  return running.exited;
}
