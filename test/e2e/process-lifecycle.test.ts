/**
 * The real process: `node src/main.ts` starts, serves, and on SIGTERM drains and exits 0;
 * invalid configuration makes it exit before serving, naming the variable.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowService } from "../../gen/flowgate/v1/flow_pb.js";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

function startProcess(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["src/main.ts"], {
    env: { PATH: process.env.PATH ?? "", FLOWGATE_HOST: "127.0.0.1", FLOWGATE_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"port":(\d+),"msg":"flowgate listening"/.exec(output);
      if (match?.[1]) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

describe("the flowgate process", () => {
  it("serves, then drains on SIGTERM and exits 0; a restart finds the data again", async () => {
    const first = startProcess({ DATABASE_URL: database.url });
    const port = await listeningPort(first);
    const flows = createClient(
      FlowService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }),
    );
    const { flow } = await flows.createFlow({ name: "survives-restart" });
    const exited = exitCode(first);
    first.kill("SIGTERM");
    expect(await exited).toBe(0);

    const second = startProcess({ DATABASE_URL: database.url });
    const secondPort = await listeningPort(second);
    const again = createClient(
      FlowService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${secondPort}` }),
    );
    expect((await again.getFlow({ flowId: flow!.id })).flow?.name).toBe("survives-restart");
    const secondExit = exitCode(second);
    second.kill("SIGINT");
    expect(await secondExit).toBe(0);
  });

  it("refuses invalid configuration with exit 2 and a message naming the variable", async () => {
    const child = startProcess({ FLOWGATE_PORT: "seventy" });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    expect(await exitCode(child)).toBe(2);
    expect(stderr).toContain("FLOWGATE_PORT");
  });
});
