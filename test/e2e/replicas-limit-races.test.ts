/**
 * Limit races with batches in flight on three replicas of one database: every replica
 * combines the concurrent proposals it receives into batches, and the batches of all three
 * race for the same limit rows. Never more holders than a limit, at any moment a sampler
 * looks; between rounds the slots are exactly the live holders; at the end every slot is free.
 */
import { randomUUID } from "node:crypto";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { FlowRunService } from "../../gen/flowgate/v1/flow_run_pb.js";
import { SetStateStatus } from "../../gen/flowgate/v1/orchestration_pb.js";
import { StateType } from "../../gen/flowgate/v1/states_pb.js";
import { TaskRunService } from "../../gen/flowgate/v1/task_run_pb.js";
import { type App, startApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { batchStatistics } from "../../src/persistence/orchestration/batcher.ts";
import { flowRunHelpers, scheduledNow } from "../support/flow-runs.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { taskRunHelpers } from "../support/task-runs.ts";

const ENV = { FLOWGATE_BACKGROUND_SERVICES: "false" };

let server: TestServer;
const others: App[] = [];
/** SetFlowRunState / SetTaskRunState of replica i % 3. */
let flowClients: ReturnType<typeof createClient<typeof FlowRunService>>[];
let taskClients: ReturnType<typeof createClient<typeof TaskRunService>>[];

beforeAll(async () => {
  server = await startTestServer(ENV);
  for (let i = 0; i < 2; i++) {
    others.push(
      await startApp(
        loadConfig({
          FLOWGATE_HOST: "127.0.0.1",
          FLOWGATE_PORT: "0",
          DATABASE_URL: server.database.url,
          ...ENV,
        }),
        createLogger("silent"),
      ),
    );
  }
  const addresses = [server.app.port, ...others.map((app) => app.port)].map(
    (port) => `http://127.0.0.1:${port}`,
  );
  const transports = addresses.map((baseUrl) => createGrpcTransport({ baseUrl }));
  flowClients = transports.map((transport) => createClient(FlowRunService, transport));
  taskClients = transports.map((transport) => createClient(TaskRunService, transport));
});
afterAll(async () => {
  for (const app of others) await app.stop();
  await server.stop();
});

/** Samples `count` every few ms while `race` runs; resolves the highest value seen. */
async function sampleWhile(count: () => Promise<number>, race: () => Promise<void>) {
  let running = true;
  let max = 0;
  let samples = 0;
  const sampler = (async () => {
    while (running) {
      max = Math.max(max, await count());
      samples += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  try {
    await race();
  } finally {
    running = false;
    await sampler;
  }
  return { max, samples };
}

it("lets at most 3 flow runs hold a deployment limit of 3, with slots == leases == holders", async () => {
  const h = flowRunHelpers(server);
  const { flowId, deploymentId } = await h.newDeployment({ concurrencyLimit: 3 });
  const runs = await Promise.all(
    Array.from({ length: 30 }, () => h.newRun({ flowId, deploymentId, state: scheduledNow() })),
  );
  const propose = (i: number, type: StateType) =>
    flowClients[i % 3]!.setFlowRunState({ flowRunId: runs[i]!.id, state: { type } }).then(
      (response) => response.result!,
    );
  const accounting = async () => {
    const [row] = await server.database.query<{ active: number; leases: number; holders: number }>(
      `select l.active_slots as active,
         (select count(*)::int from concurrency_lease c where l.id = any(c.resource_ids)) as leases,
         (select count(*)::int from flow_run r
          where r.deployment_id = d.id and r.state_type in ('PENDING', 'RUNNING')) as holders
       from deployment d join concurrency_limit_v2 l on l.id = d.concurrency_limit_id where d.id = $1`,
      [deploymentId],
    );
    return row!;
  };

  const waiting = new Set(runs.map((_, i) => i));
  const holding = new Set<number>();
  const before = batchStatistics();
  const { max, samples } = await sampleWhile(
    async () => (await accounting()).holders,
    async () => {
      for (let round = 0; waiting.size + holding.size > 0; round++) {
        expect(round).toBeLessThan(40);
        const finishing = [...holding];
        const contenders = [...waiting];
        const [, attempts] = await Promise.all([
          Promise.all(
            finishing.map(async (i) => {
              // A run that waited for its slot is rescheduled (AwaitingConcurrencySlot), so
              // its RUNNING may have to WAIT; it keeps its slot either way.
              const started = await propose(i, StateType.RUNNING);
              expect([SetStateStatus.ACCEPT, SetStateStatus.WAIT]).toContain(started.status);
              expect((await propose(i, StateType.COMPLETED)).status).toBe(SetStateStatus.ACCEPT);
              holding.delete(i);
            }),
          ),
          Promise.all(contenders.map((i) => propose(i, StateType.PENDING))),
        ]);
        for (const [k, result] of attempts.entries()) {
          if (result.status !== SetStateStatus.ACCEPT) {
            expect(result.state?.name).toBe("AwaitingConcurrencySlot");
            continue;
          }
          waiting.delete(contenders[k]!);
          holding.add(contenders[k]!);
        }
        expect(holding.size).toBeLessThanOrEqual(3);
        const now = await accounting();
        expect(now).toEqual({ active: holding.size, leases: holding.size, holders: holding.size });
      }
    },
  );
  expect(samples).toBeGreaterThan(0);
  expect(max).toBeLessThanOrEqual(3);
  expect(await accounting()).toEqual({ active: 0, leases: 0, holders: 0 });
  const completed = await server.database.query<{ n: number }>(
    "select count(*)::int as n from flow_run where deployment_id = $1 and state_type = 'COMPLETED'",
    [deploymentId],
  );
  expect(completed[0]!.n).toBe(runs.length);
  // The replicas did combine transitions: more transitions than batches.
  const batched = batchStatistics();
  expect(batched.transitions - before.transitions).toBeGreaterThan(
    batched.batches - before.batches,
  );
}, 120_000);

it("lets at most 3 task runs hold a V2 tag limit of 3 and a V1 tag limit of 4, with slots == holders", async () => {
  const h = taskRunHelpers(server);
  const v2Tag = `v2-${randomUUID()}`;
  const v1Tag = `v1-${randomUUID()}`;
  const [limit] = await server.database.query<{ id: string }>(
    `insert into concurrency_limit_v2 (id, name, "limit", updated) values (gen_random_uuid(), $1, 3, now()) returning id`,
    [`tag:${v2Tag}`],
  );
  await h.limits.createConcurrencyLimit({ tag: v1Tag, concurrencyLimit: 4 });
  const flowRunId = await h.newFlowRun();
  const tasks = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      // Half list the tags in the other order: lock order must not depend on it.
      h.newTask({ flowRunId, tags: i % 2 === 0 ? [v2Tag, v1Tag] : [v1Tag, v2Tag] }),
    ),
  );
  const propose = (i: number, type: StateType) =>
    taskClients[i % 3]!.setTaskRunState({ taskRunId: tasks[i]!.id, state: { type } }).then(
      (response) => response.result!,
    );
  const accounting = async () => {
    const [row] = await server.database.query<{
      v2Active: number;
      v2Leases: number;
      v1Holders: number;
      running: number;
    }>(
      `select (select active_slots from concurrency_limit_v2 where id = $1) as "v2Active",
         (select count(*)::int from concurrency_lease where $1 = any(resource_ids)) as "v2Leases",
         (select count(*)::int from tag_concurrency_holder h join tag_concurrency_limit l
            on l.id = h.limit_id where l.tag = $2) as "v1Holders",
         (select count(*)::int from task_run where flow_run_id = $3 and state_type = 'RUNNING') as running`,
      [limit!.id, v1Tag, flowRunId],
    );
    return row!;
  };

  const waiting = new Set(tasks.map((_, i) => i));
  const running = new Set<number>();
  const { max, samples } = await sampleWhile(
    async () => {
      // Every run needs both slots, so the V1 limit of 4 never has more than 3 holders either.
      const now = await accounting();
      return Math.max(now.v2Active, now.v2Leases, now.v1Holders, now.running);
    },
    async () => {
      for (let round = 0; waiting.size + running.size > 0; round++) {
        expect(round).toBeLessThan(60);
        const finishing = [...running];
        const contenders = [...waiting];
        const [done, attempts] = await Promise.all([
          Promise.all(finishing.map((i) => propose(i, StateType.COMPLETED))),
          Promise.all(contenders.map((i) => propose(i, StateType.RUNNING))),
        ]);
        for (const [k, result] of done.entries()) {
          expect(result.status).toBe(SetStateStatus.ACCEPT);
          running.delete(finishing[k]!);
        }
        for (const [k, result] of attempts.entries()) {
          if (result.status !== SetStateStatus.ACCEPT) {
            expect(result.status).toBe(SetStateStatus.WAIT);
            continue;
          }
          waiting.delete(contenders[k]!);
          running.add(contenders[k]!);
        }
        expect(running.size).toBeLessThanOrEqual(3);
        expect(await accounting()).toEqual({
          v2Active: running.size,
          v2Leases: running.size,
          v1Holders: running.size,
          running: running.size,
        });
      }
    },
  );
  expect(samples).toBeGreaterThan(0);
  expect(max).toBeLessThanOrEqual(3);
  expect(await accounting()).toEqual({ v2Active: 0, v2Leases: 0, v1Holders: 0, running: 0 });
}, 120_000);
