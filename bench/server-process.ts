/** bench/server.ts in a child process. */
import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import type { ServerMessage, ServerReport } from "./server.ts";

/** V8 old-space cap in MB (see package.json `start`). */
const HEAP_MB = 256;

export class ServerProcess {
  readonly port: number;
  readonly #child: ChildProcess;
  #reports: ((report: ServerReport) => void)[] = [];

  private constructor(child: ChildProcess, port: number) {
    this.#child = child;
    this.port = port;
    child.on("message", (message: ServerMessage) => {
      if (message.type === "report") this.#reports.shift()?.(message);
    });
  }

  static start(url: string): Promise<ServerProcess> {
    const child = fork(path.join(import.meta.dirname, "server.ts"), {
      // The heap cap of `npm start` and the Dockerfile, so RSS is measured as deployed.
      execArgv: [...process.execArgv, `--max-old-space-size=${HEAP_MB}`],
      env: { ...process.env, DATABASE_URL: url },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    return new Promise((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`bench server exited with ${code}`)));
      child.once("message", (message: ServerMessage) => {
        if (message.type === "ready") resolve(new ServerProcess(child, message.port));
      });
    });
  }

  async mark(): Promise<void> {
    this.#child.send({ type: "mark" });
  }

  report(): Promise<ServerReport> {
    return new Promise((resolve) => {
      this.#reports.push(resolve);
      this.#child.send({ type: "report" });
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#child.kill("SIGKILL"), 15_000);
      this.#child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      this.#child.send({ type: "stop" });
    });
  }
}
