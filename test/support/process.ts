/** A real `node src/main.ts` process, its listening port, its log lines and its exit. */
import { type ChildProcess, spawn } from "node:child_process";

export interface FlowgateProcess {
  readonly child: ChildProcess;
  /** Resolves to the gRPC port once the process logs "flowgate listening". */
  readonly port: Promise<number>;
  /** Resolves to the exit code. */
  readonly exit: Promise<number | null>;
  /** stdout (JSON log lines) and stderr so far. */
  output(): string;
}

/**
 * Starts flowgate on 127.0.0.1:0 with `env` (plus PATH) and nothing else from this process;
 * `args` go to Node, `cwd` is the tree to run (this checkout by default).
 */
export function startFlowgate(
  env: Record<string, string>,
  args: string[] = [],
  cwd?: string,
): FlowgateProcess {
  const child = spawn(process.execPath, [...args, "src/main.ts"], {
    cwd,
    env: { PATH: process.env.PATH ?? "", FLOWGATE_HOST: "127.0.0.1", FLOWGATE_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const port = new Promise<number>((resolve, reject) => {
    const append = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"port":(\d+),"msg":"flowgate listening"/.exec(output);
      if (match?.[1]) resolve(Number(match[1]));
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    void exit.then((code) => reject(new Error(`flowgate exited with ${code}: ${output}`)));
  });
  port.catch(() => {}); // a test that expects the exit does not await the port
  return { child, port, exit, output: () => output };
}
