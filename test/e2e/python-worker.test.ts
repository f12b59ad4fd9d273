/**
 * The Python worker example (examples/python-worker) against a real server: its modules are
 * generated with Debian's protoc into a temporary directory, then the worker drives a run
 * with one retry to COMPLETED, and its Python tests exercise WAIT, ABORT and replays.
 * Skipped only where no python3 can import Debian's python3-grpcio and python3-protobuf.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/server.ts";

const root = path.resolve(import.meta.dirname, "../..");
const example = path.join(root, "examples/python-worker");

/**
 * The first interpreter that has grpc and protobuf. Debian's packages live in
 * /usr/lib/python3/dist-packages, seen only by Debian's own /usr/bin/python3, which a
 * pyenv or venv python3 earlier on PATH would hide. FLOWGATE_PYTHON names the only one to try.
 */
function findPython(): string | undefined {
  const override = process.env.FLOWGATE_PYTHON;
  const candidates = override ? [override] : ["python3", "/usr/bin/python3"];
  return candidates.find(
    (python) =>
      spawnSync(python, ["-c", "import grpc, google.protobuf"], { stdio: "ignore" }).status === 0,
  );
}

const python = findPython();
const skipReason =
  "SKIPPED: no python3 can import grpc and google.protobuf " +
  "(apt-get install python3-grpcio python3-protobuf)";
if (python === undefined) console.warn(`python-worker.test.ts: ${skipReason}`);
const suffix = python === undefined ? ` — ${skipReason}` : "";

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the event loop: the server answers from this process. */
function run(command: string, args: string[], env: Record<string, string>): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(python === undefined)(`Python worker${suffix}`, () => {
  let server: TestServer;
  let generated: string;
  let pythonEnv: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer({ FLOWGATE_BACKGROUND_SERVICES: "false" });
    generated = mkdtempSync(path.join(tmpdir(), "flowgate-python-"));
    const generate = await run("sh", [path.join(example, "generate.sh"), generated], {});
    if (generate.code !== 0) {
      throw new Error(
        `generate.sh failed (needs protobuf-compiler, protobuf-compiler-grpc, libprotobuf-dev):\n${generate.stderr}`,
      );
    }
    pythonEnv = {
      PYTHONPATH: [generated, example].join(path.delimiter),
      FLOWGATE_ADDRESS: new URL(server.address).host,
      PYTHONDONTWRITEBYTECODE: "1", // keep __pycache__ out of examples/
    };
  });
  afterAll(async () => {
    await server?.stop();
    if (generated) rmSync(generated, { recursive: true, force: true });
  });

  it("drives a run through one retry to COMPLETED, obeying every decision", async () => {
    const worker = await run(python!, [path.join(example, "worker.py")], pythonEnv);
    expect(worker.code, `${worker.stdout}\n${worker.stderr}`).toBe(0);

    const decisions = worker.stdout.split("\n").filter((line) => line.startsWith("decision: "));
    expect(decisions).toEqual([
      expect.stringMatching(/proposed=RUNNING status=ACCEPT .* state=Running \(RUNNING\)$/),
      expect.stringMatching(
        /proposed=FAILED status=REJECT reason="Retrying" state=AwaitingRetry \(SCHEDULED\)$/,
      ),
      expect.stringMatching(/proposed=RUNNING status=ACCEPT .* state=Running \(RUNNING\)$/),
      expect.stringMatching(/proposed=COMPLETED status=ACCEPT .* state=Completed \(COMPLETED\)$/),
    ]);

    const runId = /created flow \S+ and run (\S+) in state Pending \(PENDING\)/.exec(
      worker.stdout,
    )?.[1];
    expect(runId, worker.stdout).toBeDefined();
    const history = await server.database.query<{ type: string; name: string }>(
      "select type, name from flow_run_state where flow_run_id = $1 order by timestamp",
      [runId],
    );
    expect(history).toEqual([
      { type: "PENDING", name: "Pending" },
      { type: "RUNNING", name: "Running" },
      { type: "SCHEDULED", name: "AwaitingRetry" },
      { type: "RUNNING", name: "Running" },
      { type: "COMPLETED", name: "Completed" },
    ]);
  });

  it("passes its Python tests: WAIT, ABORT, and retries that replay the transition_id", async () => {
    const tests = await run(python!, ["-m", "unittest", "discover", "-s", example], pythonEnv);
    expect(tests.code, `${tests.stdout}\n${tests.stderr}`).toBe(0);
    // unittest reports on stderr. A bare "OK" (not "OK (skipped=1)") shows the server-backed
    // test ran too.
    expect(tests.stderr).toMatch(/\nOK\n*$/);
  });
});
