/**
 * Runs the `flowgate` command as a user would: a child process of `bin/flowgate.js` on this
 * Node, with its own environment, and collects its exit code and output.
 */
import { execFile, spawn } from "node:child_process";
import path from "node:path";

const BIN = path.resolve(import.meta.dirname, "../../bin/flowgate.js");

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `flowgate …args` with `env` on top of a clean environment (no FLOWGATE_* inherited). */
export function runFlowgate(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: cliEnv(env), timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * `flowgate …args` left running (a watch): `firstLine` resolves once it printed a line, so
 * the test knows the command is up; `result` when it exits.
 */
export function startFlowgate(args: readonly string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(env) });
  let stdout = "";
  let stderr = "";
  let sawLine: () => void = () => {};
  const firstLine = new Promise<void>((resolve) => {
    sawLine = resolve;
  });
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes("\n")) sawLine();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const result = new Promise<CliResult>((resolve) => {
    child.on("close", (code) => {
      sawLine();
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
  return { firstLine, result, kill: () => child.kill("SIGINT") };
}

/** The test's environment without FLOWGATE_* settings, plus `env`. */
function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("FLOWGATE_")),
  );
  return { ...inherited, ...env };
}

/** The CLI pointed at a test server (`FLOWGATE_ADDRESS`). */
export function cliFor(address: string, env: Record<string, string> = {}) {
  const run = (...args: string[]) => runFlowgate(args, { FLOWGATE_ADDRESS: address, ...env });
  return {
    run,
    start: (...args: string[]) => startFlowgate(args, { FLOWGATE_ADDRESS: address, ...env }),
    /** Runs with `--output json` and parses stdout; fails the test on a non-zero exit. */
    async json<T = Record<string, unknown>>(...args: string[]): Promise<T> {
      const result = await run("--output", "json", ...args);
      if (result.code !== 0) {
        throw new Error(`flowgate ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
      }
      return JSON.parse(result.stdout) as T;
    },
  };
}
