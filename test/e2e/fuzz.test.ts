/**
 * Property-based fuzzing of every RPC of flowgate's services (issue 9 §3): thousands of
 * generated malformed and extreme requests (test/support/fuzz-requests.ts), sent as raw bytes
 * to a real server in its own process. Whatever the request, the answer is never INTERNAL,
 * UNKNOWN or UNAVAILABLE (the database is fine: UNAVAILABLE would blame it for bad input),
 * and never a hang; the process stays alive within its production heap, logs no error, its
 * memory stays bounded, and a valid call still works afterwards.
 *
 * FLOWGATE_FUZZ_CALLS sets the number of calls (3000 by default, well under a minute here);
 * FLOWGATE_FUZZ_SEED replays a run. On failure fast-check prints the seed and the request,
 * and the test prints the server's error log lines.
 */
import { type DescMethod, fromBinary, toJson } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConcurrencyLimitService } from "../../gen/flowgate/v1/concurrency_limit_pb.js";
import { DeploymentService } from "../../gen/flowgate/v1/deployment_pb.js";
import { FlowService } from "../../gen/flowgate/v1/flow_pb.js";
import { FlowRunService } from "../../gen/flowgate/v1/flow_run_pb.js";
import { SetStateStatus } from "../../gen/flowgate/v1/orchestration_pb.js";
import { StateType } from "../../gen/flowgate/v1/states_pb.js";
import { TaskRunService } from "../../gen/flowgate/v1/task_run_pb.js";
import { type FuzzPool, idKind, requestBytes } from "../support/fuzz-requests.ts";
import { type ServerProcess, startServerProcess } from "../support/server-process.ts";

const CALLS = Number(process.env.FLOWGATE_FUZZ_CALLS ?? 3000);
const SEED =
  process.env.FLOWGATE_FUZZ_SEED === undefined ? undefined : Number(process.env.FLOWGATE_FUZZ_SEED);
/** A call that takes this long is a hang, not slowness: the usual call takes milliseconds. */
const DEADLINE_MS = 20_000;
/** How long a Watch stream is read before the fuzzer cancels it (it never ends by itself). */
const WATCH_MS = 100;
/**
 * Generous bounds: the process idles at about 200 MiB RSS, and an unbounded input pushes its
 * heap past the 256 MB limit of `npm start`, which kills it.
 */
const MAX_PEAK_RSS = 600 * 1024 * 1024;
const MAX_RSS_GROWTH = 250 * 1024 * 1024;
/** At most this many ids of a kind in the pool: later entities replace random earlier ones. */
const IDS_PER_KIND = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const SERVICES = [
  FlowService,
  DeploymentService,
  FlowRunService,
  TaskRunService,
  ConcurrencyLimitService,
] as readonly GenService<GenServiceMethods>[];
const METHODS = SERVICES.flatMap((service) =>
  service.methods.map((method) => ({ path: `/${service.typeName}/${method.name}`, method })),
);
/**
 * Creating and changing state are drawn more often than deleting, so that the pool keeps
 * live entities (a DeleteFlow takes every run of the flow with it).
 */
function weight(method: DescMethod): number {
  if (/^(Create|Set|Update|Resume|Renew)/.test(method.name)) return 4;
  return method.name.startsWith("Delete") ? 1 : 2;
}
/** How long to wait for the log line that comes with an INTERNAL answer. */
const LOG_WAIT_MS = 2000;
const FORBIDDEN = [
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
];

let server: ServerProcess;
let raw: grpc.Client;
let pool: FuzzPool;

beforeAll(async () => {
  server = await startServerProcess();
  raw = new grpc.Client(server.target, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": -1,
  });
  pool = await seedEntities();
});
afterAll(async () => {
  raw?.close();
  await server?.stop();
});

/** The latest time the contract accepts, 9999-12-31T23:59:59Z. */
const LAST_SECOND = { seconds: 253_402_300_799n, nanos: 0 };

/**
 * Real entities, so that generated ids and names reach orchestration, slots and leases;
 * some runs wait for the latest scheduled time the contract allows.
 */
async function seedEntities(): Promise<FuzzPool> {
  const { flow } = await server.client(FlowService).createFlow({ name: "fuzz", tags: ["fuzz"] });
  const { deployment } = await server
    .client(DeploymentService)
    .createDeployment({ flowId: flow!.id, name: "fuzz", concurrencyLimit: 1 });
  const flowRuns = server.client(FlowRunService);
  const taskRuns = server.client(TaskRunService);
  const scheduledLast = { type: StateType.SCHEDULED, stateDetails: { scheduledTime: LAST_SECOND } };
  const { flowRun } = await flowRuns.createFlowRun({
    flowId: flow!.id,
    deploymentId: deployment!.id,
    tags: ["fuzz"],
  });
  const late = await flowRuns.createFlowRun({ flowId: flow!.id, state: scheduledLast });
  const { taskRun } = await taskRuns.createTaskRun({
    flowRunId: flowRun!.id,
    taskKey: "fuzz",
    tags: ["fuzz"],
  });
  const lateTask = await taskRuns.createTaskRun({ taskKey: "late", state: scheduledLast });
  await server
    .client(ConcurrencyLimitService)
    .createConcurrencyLimit({ tag: "fuzz", concurrencyLimit: 1 });
  return {
    names: ["fuzz", "k", "{}"],
    ids: new Map([
      ["flow", [flow!.id]],
      ["deployment", [deployment!.id]],
      ["flow_run", [flowRun!.id, late.flowRun!.id]],
      ["task_run", [taskRun!.id, lateTask.taskRun!.id]],
    ]),
  };
}

/**
 * Adds the ids of a successful response to the pool by kind (`flowRun.id` and `flowRunId`
 * are flow-run ids), so that later calls use the entities earlier calls created.
 */
function harvestIds(json: unknown, parent = ""): void {
  if (Array.isArray(json)) {
    for (const item of json) harvestIds(item, parent.replace(/s$/, ""));
  } else if (typeof json === "object" && json !== null) {
    for (const [key, value] of Object.entries(json)) {
      if (typeof value === "string" && UUID.test(value))
        remember(key === "id" ? snakeCase(parent) : idKind(snakeCase(key)), value);
      else harvestIds(value, key);
    }
  }
}

function remember(kind: string, id: string): void {
  const ids = pool.ids.get(kind) ?? [];
  pool.ids.set(kind, ids);
  if (ids.includes(id)) return;
  if (ids.length < IDS_PER_KIND) ids.push(id);
  else ids[Math.floor(Math.random() * IDS_PER_KIND)] = id;
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** Sends `bytes` as the request of `method`; resolves to the status code. */
function call(path: string, method: DescMethod, bytes: Uint8Array): Promise<grpc.status> {
  const options = { deadline: Date.now() + DEADLINE_MS };
  const identity = (value: Buffer) => value;
  const request = Buffer.from(bytes);
  const metadata = new grpc.Metadata();
  return new Promise((resolve) => {
    if (method.methodKind === "server_streaming") {
      const stream = raw.makeServerStreamRequest(
        path,
        identity,
        identity,
        request,
        metadata,
        options,
      );
      const timer = setTimeout(() => stream.cancel(), WATCH_MS);
      stream.on("data", () => stream.cancel());
      stream.on("error", () => {}); // the status event carries the code
      stream.on("status", (status: grpc.StatusObject) => {
        clearTimeout(timer);
        resolve(status.code);
      });
      return;
    }
    raw.makeUnaryRequest(
      path,
      identity,
      identity,
      request,
      metadata,
      options,
      (error, response) => {
        if (response !== undefined)
          harvestIds(toJson(method.output, fromBinary(method.output, response)));
        resolve(error?.code ?? grpc.status.OK);
      },
    );
  });
}

/** The error lines the server logs after the first `seen`, once at least one has arrived. */
async function errorLinesAfter(seen: number): Promise<string[]> {
  const until = Date.now() + LOG_WAIT_MS;
  while (server.errorLines().length <= seen && Date.now() < until)
    await new Promise((resolve) => setTimeout(resolve, 20));
  return server.errorLines().slice(seen);
}

/** `{"OK": 12, ...}`, the most frequent first. */
function tally(counts: Map<string, number>): string {
  return JSON.stringify(Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])));
}

describe("fuzzing every RPC with malformed and extreme requests", () => {
  it(
    `answers ${CALLS} generated calls without INTERNAL, UNKNOWN, UNAVAILABLE or a hang`,
    async () => {
      const statuses = new Map<string, number>();
      const okByRpc = new Map<string, number>();
      const startRss = server.memory().rss;
      const started = performance.now();
      const targets = METHODS.map((target) => ({
        weight: weight(target.method),
        arbitrary: fc.constant(target),
      }));
      const request = fc.oneof(...targets).chain((target) =>
        requestBytes(target.method.input, pool).map((bytes) => ({
          target,
          bytes,
          // A counterexample may be megabytes: fast-check prints this instead.
          [fc.toStringMethod]: () =>
            `${target.path} with ${bytes.length} bytes: ` +
            `${Buffer.from(bytes.subarray(0, 64)).toString("hex")}…`,
        })),
      );
      try {
        await fc.assert(
          fc.asyncProperty(request, async ({ target, bytes }) => {
            const logged = server.errorLines().length;
            const code = await call(target.path, target.method, bytes);
            if (code === grpc.status.INTERNAL) {
              const lines = await errorLinesAfter(logged);
              console.error(
                `${target.path} answered INTERNAL; the server logged:\n${lines.join("\n")}`,
              );
            }
            const name = grpc.status[code] ?? String(code);
            statuses.set(name, (statuses.get(name) ?? 0) + 1);
            if (code === grpc.status.OK)
              okByRpc.set(target.method.name, (okByRpc.get(target.method.name) ?? 0) + 1);
            expect(FORBIDDEN, `${target.path} answered ${name}`).not.toContain(code);
            expect(server.alive(), "the server process died").toBe(true);
          }),
          // No shrinking: a hang costs DEADLINE_MS per attempt; the seed replays the run.
          { numRuns: CALLS, seed: SEED, endOnFailure: true },
        );
      } catch (error) {
        console.error(`server error log:\n${(await errorLinesAfter(0)).slice(-20).join("\n")}`);
        throw error;
      }
      const { rss, peakRss } = server.memory();
      const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;
      console.log(
        `fuzz: ${CALLS} calls in ${((performance.now() - started) / 1000).toFixed(1)} s over ` +
          `${METHODS.length} RPCs; statuses ${tally(statuses)}; OK by RPC ${tally(okByRpc)}; ` +
          `RSS ${mib(startRss)} before, ${mib(rss)} after, peak ${mib(peakRss)}`,
      );
      expect(server.alive()).toBe(true);
      expect(server.errorLines()).toEqual([]);
      expect(peakRss).toBeLessThan(MAX_PEAK_RSS);
      expect(rss - startRss).toBeLessThan(MAX_RSS_GROWTH);
    },
    120_000 + CALLS * 100,
  );

  it("still serves a valid call afterwards", async () => {
    const { flow } = await server.client(FlowService).createFlow({ name: "after-fuzz" });
    const runs = server.client(FlowRunService);
    const { flowRun } = await runs.createFlowRun({ flowId: flow!.id });
    const { result } = await runs.setFlowRunState({
      flowRunId: flowRun!.id,
      state: { type: StateType.RUNNING },
    });
    expect(result?.status).toBe(SetStateStatus.ACCEPT);
  });
});
