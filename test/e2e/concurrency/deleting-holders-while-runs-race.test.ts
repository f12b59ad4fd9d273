/**
 * Regression (deleted holders kept their slots), under contention: runs race for a deployment
 * limit and a V2 tag limit while holders — and runs in the middle of a proposal — are
 * deleted concurrently. A sampler watches the committed slot counts throughout; at the end
 * every limit has active slots == leases == live holders, and every live holder is a run in
 * a holding state. Over gRPC on PostgreSQL, background loops off (no reaper).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SetStateStatus } from "../../../gen/flowgate/v1/orchestration_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { flowRunHelpers, scheduledNow } from "../../support/flow-runs.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";
import {
  deploymentSlots,
  heldBy,
  insertTagLimitV2,
  type SlotAccounting,
  tagSlotsV2,
} from "../../support/slots.ts";
import { taskRunHelpers } from "../../support/task-runs.ts";

let server: TestServer;
let flows: ReturnType<typeof flowRunHelpers>;
let tasks: ReturnType<typeof taskRunHelpers>;
beforeAll(async () => {
  server = await startTestServer({ FLOWGATE_BACKGROUND_SERVICES: "false" });
  flows = flowRunHelpers(server);
  tasks = taskRunHelpers(server);
});
afterAll(() => server.stop());

const RUNS = 60;
const LIMIT = 3;
const ROUNDS = 8;
/** Runs deleted per round: the current holders, plus this many others chosen at random. */
const EXTRA_DELETIONS = 4;

/** `undefined` when the run was deleted under the call (NOT_FOUND), else the result. */
async function unlessDeleted<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (ConnectError.from(error).code === Code.NotFound) return undefined;
    throw error;
  }
}

/** Samples `read` until stopped; resolves the highest active-slot count it saw. */
function sampleMaxActive(read: () => Promise<SlotAccounting>) {
  let sampling = true;
  let max = 0;
  const done = (async () => {
    while (sampling) {
      max = Math.max(max, (await read()).active);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return async () => {
    sampling = false;
    await done;
    return max;
  };
}

function pickRandom<T>(items: readonly T[], count: number): T[] {
  return [...items].sort(() => Math.random() - 0.5).slice(0, count);
}

it("deployment limit: active slots == live holders after runs race while holders are deleted", async () => {
  const { flowId, deploymentId } = await flows.newDeployment({ concurrencyLimit: LIMIT });
  const created = await Promise.all(
    Array.from({ length: RUNS }, () =>
      flows.newRun({ flowId, deploymentId, state: scheduledNow() }),
    ),
  );
  const live = new Set(created.map((run) => run.id));
  const holders = new Set<string>();
  const stopSampling = sampleMaxActive(() => deploymentSlots(server.database, deploymentId));
  let deletedHolders = 0;

  for (let round = 0; round < ROUNDS && live.size > 0; round++) {
    const doomed = new Set([...holders, ...pickRandom([...live], EXTRA_DELETIONS)]);
    const contenders = [...live].filter((id) => !holders.has(id));
    // Holders move on to RUNNING while they are being deleted; everyone else races for PENDING.
    const proposals = [...live].map(async (id) => {
      const type = holders.has(id) ? StateType.RUNNING : StateType.PENDING;
      return { id, result: await unlessDeleted(flows.propose(id, { type })) };
    });
    const deletions = [...doomed].map((id) => flows.runs.deleteFlowRun({ flowRunId: id }));
    const [results] = await Promise.all([Promise.all(proposals), Promise.all(deletions)]);

    deletedHolders += [...doomed].filter((id) => holders.has(id)).length;
    for (const id of doomed) live.delete(id);
    holders.clear();
    for (const { id, result } of results) {
      if (!live.has(id) || result === undefined) continue;
      if (result.status === SetStateStatus.ACCEPT && contenders.includes(id)) holders.add(id);
    }
    const accounting = await deploymentSlots(server.database, deploymentId);
    expect(accounting).toEqual(heldBy(holders.size));
  }

  expect(await stopSampling()).toBeLessThanOrEqual(LIMIT);
  expect(deletedHolders).toBeGreaterThan(0);
  const holding = await server.database.query<{ id: string }>(
    `select id from flow_run where deployment_id = $1 and state_type in ('PENDING', 'RUNNING')`,
    [deploymentId],
  );
  expect(holding.map((row) => row.id).sort()).toEqual([...holders].sort());
});

it("V2 tag limit: active slots == live holders after tasks race while holders and their flow runs are deleted", async () => {
  const tag = "race-with-deletes";
  await insertTagLimitV2(server.database, tag, LIMIT);
  // Tasks spread over a few flow runs, so deleting a flow run takes several tasks with it.
  const flowRunIds = await Promise.all(Array.from({ length: 6 }, () => tasks.newFlowRun()));
  const created = await Promise.all(
    Array.from({ length: RUNS }, (_, i) =>
      tasks.newTask({ flowRunId: flowRunIds[i % flowRunIds.length], tags: [tag] }),
    ),
  );
  const flowRunOf = new Map(created.map((task) => [task.id, task.flowRunId]));
  const live = new Set(created.map((task) => task.id));
  const holders = new Set<string>();
  const stopSampling = sampleMaxActive(() => tagSlotsV2(server.database, tag));
  const liveFlowRuns = new Set(flowRunIds);

  for (let round = 0; round < ROUNDS && live.size > 0; round++) {
    const doomedTasks = new Set([...holders, ...pickRandom([...live], EXTRA_DELETIONS)]);
    // Every other round one whole flow run goes too, with whatever tasks it still has.
    const doomedFlowRun = round % 2 === 1 ? pickRandom([...liveFlowRuns], 1)[0] : undefined;
    const proposals = [...live].map(async (id) => ({
      id,
      result: await unlessDeleted(tasks.propose(id, { type: StateType.RUNNING })),
    }));
    const deletions = [
      ...[...doomedTasks].map((id) => unlessDeleted(tasks.tasks.deleteTaskRun({ taskRunId: id }))),
      ...(doomedFlowRun === undefined
        ? []
        : [flows.runs.deleteFlowRun({ flowRunId: doomedFlowRun })]),
    ];
    const [results] = await Promise.all([Promise.all(proposals), Promise.all(deletions)]);

    if (doomedFlowRun !== undefined) liveFlowRuns.delete(doomedFlowRun);
    for (const id of live) {
      if (doomedTasks.has(id) || flowRunOf.get(id) === doomedFlowRun) live.delete(id);
    }
    holders.clear();
    for (const { id, result } of results) {
      if (!live.has(id) || result === undefined) continue;
      // A task already holding its slot re-proposes RUNNING and keeps it (accepted again).
      if (result.status === SetStateStatus.ACCEPT) holders.add(id);
    }
    expect(await tagSlotsV2(server.database, tag)).toEqual(heldBy(holders.size));
  }

  expect(await stopSampling()).toBeLessThanOrEqual(LIMIT);
  const running = await server.database.query<{ id: string }>(
    `select id from task_run where $1 = any(tags) and state_type = 'RUNNING'`,
    [tag],
  );
  expect(running.map((row) => row.id).sort()).toEqual([...holders].sort());
});
