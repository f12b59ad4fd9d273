/**
 * Task traces of spec §6 and §4.2 over gRPC on PostgreSQL: cache refresh and expiry, tasks of
 * paused and non-running flow runs, reruns after a flow-level retry, and deferred
 * (background) tasks accepted into SCHEDULED and streamed by WatchTaskRun.
 */
import { randomUUID } from "node:crypto";
import { timestampFromDate, timestampMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowService } from "../../../gen/flowgate/v1/flow_pb.js";
import { SetStateStatus } from "../../../gen/flowgate/v1/orchestration_pb.js";
import { type State, StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { reasonOf } from "../../support/flow-runs.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";
import { taskRunHelpers } from "../../support/task-runs.ts";

let server: TestServer;
let h: ReturnType<typeof taskRunHelpers>;
beforeAll(async () => {
  server = await startTestServer({ FLOWGATE_BACKGROUND_SERVICES: "false" });
  h = taskRunHelpers(server);
});
afterAll(() => server.stop());

const MUST_BE_RUNNING = "The enclosing flow must be running to begin task execution.";

const text = (value: string) => ({ kind: { case: "stringValue" as const, value } });

/** Runs a fresh task of `flowRunId` to COMPLETED with a cache key, data and expiration. */
async function completeWithCache(
  flowRunId: string,
  cacheKey: string,
  data: string,
  cacheExpiration?: Date,
) {
  const task = await h.newTask({ flowRunId });
  const running = await h.propose(task.id, { type: StateType.RUNNING });
  expect(running.status).toBe(SetStateStatus.ACCEPT);
  const done = await h.propose(task.id, {
    type: StateType.COMPLETED,
    stateDetails: {
      cacheKey,
      ...(cacheExpiration ? { cacheExpiration: timestampFromDate(cacheExpiration) } : {}),
    },
    data: text(data),
  });
  expect(done.status).toBe(SetStateStatus.ACCEPT);
  expect(reasonOf(done)).toBe("");
  return { task, state: done.state! };
}

async function cacheRows(cacheKey: string) {
  return server.database.query<{ task_run_state_id: string; cache_expiration: Date | null }>(
    "select task_run_state_id, cache_expiration from task_run_state_cache where cache_key = $1 order by created",
    [cacheKey],
  );
}

async function getTask(taskRunId: string) {
  return (await h.tasks.getTaskRun({ taskRunId })).taskRun!;
}

async function history(taskRunId: string) {
  return (await h.tasks.listTaskRunStates({ taskRunId })).states.map(
    (s) => `${StateType[s.type]}:${s.name}`,
  );
}

describe("cache refresh (refresh_cache on the proposal)", () => {
  it("runs the task despite a cached key, and its result replaces the cache entry", async () => {
    const flowRunId = await h.newFlowRun();
    const key = `refresh-${randomUUID()}`;
    const first = await completeWithCache(flowRunId, key, "v1");

    // Without refresh_cache, the key hits (control).
    const control = await h.newTask({ flowRunId });
    const hit = await h.propose(control.id, {
      type: StateType.RUNNING,
      stateDetails: { cacheKey: key },
    });
    expect(hit.status).toBe(SetStateStatus.REJECT);
    expect(reasonOf(hit)).toBe("Retrieved state from cache");
    expect(hit.state?.name).toBe("Cached");
    expect(hit.state?.data?.kind).toEqual(text("v1").kind);

    // With refresh_cache, the cached state is not used: the task really runs.
    const refreshing = await h.newTask({ flowRunId });
    const running = await h.propose(refreshing.id, {
      type: StateType.RUNNING,
      stateDetails: { cacheKey: key, refreshCache: true },
    });
    expect(running.status).toBe(SetStateStatus.ACCEPT);
    expect(running.details.case).toBe("accept");
    expect(running.state?.type).toBe(StateType.RUNNING);
    expect(running.state?.name).toBe("Running");
    expect((await getTask(refreshing.id)).runCount).toBe(1);

    const refreshed = await h.propose(refreshing.id, {
      type: StateType.COMPLETED,
      stateDetails: { cacheKey: key, refreshCache: true },
      data: text("v2"),
    });
    expect(refreshed.status).toBe(SetStateStatus.ACCEPT);
    expect(refreshed.state?.name).toBe("Completed");
    // The new result is the newest entry for the key (the old row stays, but loses).
    expect((await cacheRows(key)).map((r) => r.task_run_state_id)).toEqual([
      first.state.id,
      refreshed.state!.id,
    ]);

    // A later task with the key gets the refreshed result.
    const later = await h.newTask({ flowRunId });
    const cached = await h.propose(later.id, {
      type: StateType.RUNNING,
      stateDetails: { cacheKey: key },
    });
    expect(cached.status).toBe(SetStateStatus.REJECT);
    expect(reasonOf(cached)).toBe("Retrieved state from cache");
    expect(cached.state?.type).toBe(StateType.COMPLETED);
    expect(cached.state?.name).toBe("Cached");
    expect(cached.state?.data?.kind).toEqual(text("v2").kind);
    expect(cached.state?.id).not.toBe(refreshed.state!.id);
    expect(cached.state?.stateDetails?.taskRunId).toBe(later.id);
    const after = await getTask(later.id);
    expect(after.runCount).toBe(0);
    expect(after.stateType).toBe(StateType.COMPLETED);
    expect(after.stateName).toBe("Cached");
  });
});

describe("expired cache entry", () => {
  it("ignores an entry whose cache_expiration is past and runs the task", async () => {
    const flowRunId = await h.newFlowRun();
    const key = `expired-${randomUUID()}`;
    const past = new Date(Date.now() - 60_000);
    const first = await completeWithCache(flowRunId, key, "stale", past);
    const rows = await cacheRows(key);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.task_run_state_id).toBe(first.state.id);
    expect(rows[0]!.cache_expiration?.getTime()).toBe(past.getTime());

    const task = await h.newTask({ flowRunId });
    const result = await h.propose(task.id, {
      type: StateType.RUNNING,
      stateDetails: { cacheKey: key },
    });
    expect(result.status).toBe(SetStateStatus.ACCEPT);
    expect(result.details.case).toBe("accept");
    expect(result.state?.type).toBe(StateType.RUNNING);
    expect(result.state?.name).toBe("Running");
    expect(result.state?.data).toBeUndefined();
    expect((await getTask(task.id)).runCount).toBe(1);
  });

  it("skips an expired newer entry and answers the newest unexpired one", async () => {
    const flowRunId = await h.newFlowRun();
    const key = `mixed-${randomUUID()}`;
    await completeWithCache(flowRunId, key, "valid", new Date(Date.now() + 3_600_000));
    await completeWithCache(flowRunId, key, "expired", new Date(Date.now() - 1_000));
    const task = await h.newTask({ flowRunId });
    const result = await h.propose(task.id, {
      type: StateType.RUNNING,
      stateDetails: { cacheKey: key },
    });
    expect(result.status).toBe(SetStateStatus.REJECT);
    expect(reasonOf(result)).toBe("Retrieved state from cache");
    expect(result.state?.name).toBe("Cached");
    expect(result.state?.data?.kind).toEqual(text("valid").kind);
  });

  it("hits before cache_expiration and misses once it has passed", async () => {
    const flowRunId = await h.newFlowRun();
    const key = `ttl-${randomUUID()}`;
    await completeWithCache(flowRunId, key, "short-lived", new Date(Date.now() + 3_600_000));
    const before = await h.newTask({ flowRunId });
    const hit = await h.propose(before.id, {
      type: StateType.RUNNING,
      stateDetails: { cacheKey: key },
    });
    expect(hit.status).toBe(SetStateStatus.REJECT);
    expect(hit.state?.name).toBe("Cached");
    // Time passes: the entry's expiration is now behind us (moved in the database, no sleep).
    await server.database.query(
      "update task_run_state_cache set cache_expiration = now() - interval '1 second' where cache_key = $1",
      [key],
    );
    const after = await h.newTask({ flowRunId });
    const miss = await h.propose(after.id, {
      type: StateType.RUNNING,
      stateDetails: { cacheKey: key },
    });
    expect(miss.status).toBe(SetStateStatus.ACCEPT);
    expect(miss.state?.name).toBe("Running");
  });
});

describe("task in a paused flow run", () => {
  it("is rejected into a new PAUSED 'NotReady' state carrying the flow's pause details", async () => {
    const flowRunId = await h.newFlowRun();
    const pauseTimeout = timestampFromDate(new Date(Date.now() + 3_600_000));
    const paused = (
      await h.flowRuns.setFlowRunState({
        flowRunId,
        state: { type: StateType.PAUSED, stateDetails: { pauseTimeout, pauseKey: "p-1" } },
      })
    ).result!;
    expect(paused.status).toBe(SetStateStatus.ACCEPT);
    const task = await h.newTask({ flowRunId });

    const result = await h.propose(task.id, { type: StateType.RUNNING });
    expect(result.status).toBe(SetStateStatus.REJECT);
    expect(result.details.case).toBe("reject");
    expect(reasonOf(result)).toBe(
      `The flow is paused, new tasks can execute after resuming flow run: ${flowRunId}.`,
    );
    const state = result.state!;
    expect(state.type).toBe(StateType.PAUSED);
    expect(state.name).toBe("NotReady");
    expect(state.id).not.toBe(paused.state!.id);
    expect(timestampMs(state.stateDetails!.pauseTimeout!)).toBe(timestampMs(pauseTimeout));
    expect(state.stateDetails?.pauseReschedule).toBe(false);
    expect(state.stateDetails?.pauseKey).toBe("");
    expect(state.stateDetails?.taskRunId).toBe(task.id);

    const after = await getTask(task.id);
    expect(after.stateType).toBe(StateType.PAUSED);
    expect(after.stateName).toBe("NotReady");
    expect(after.runCount).toBe(0);
    expect(after.startTime).toBeUndefined();
    expect(await history(task.id)).toEqual(["PENDING:Pending", "PAUSED:NotReady"]);

    // Once the flow is resumed, the task may run.
    const resumed = (await h.flowRuns.resumeFlowRun({ flowRunId })).result!;
    expect(resumed.status).toBe(SetStateStatus.ACCEPT);
    const running = await h.propose(task.id, { type: StateType.RUNNING });
    expect(running.status).toBe(SetStateStatus.ACCEPT);
    expect(running.state?.name).toBe("Running");
    expect((await getTask(task.id)).runCount).toBe(1);
  });
});

describe("task in a flow run that is not running", () => {
  const cases: {
    name: string;
    flowState: (flowRunId: string) => Promise<void>;
    create?: StateType;
  }[] = [
    { name: "PENDING (just created)", flowState: async () => {} },
    { name: "SCHEDULED", flowState: async () => {}, create: StateType.SCHEDULED },
    {
      name: "COMPLETED",
      flowState: async (id) => {
        await h.flowRuns.setFlowRunState({ flowRunId: id, state: { type: StateType.RUNNING } });
        await h.flowRuns.setFlowRunState({ flowRunId: id, state: { type: StateType.COMPLETED } });
      },
    },
    {
      name: "FAILED",
      flowState: async (id) => {
        await h.flowRuns.setFlowRunState({ flowRunId: id, state: { type: StateType.RUNNING } });
        await h.flowRuns.setFlowRunState({ flowRunId: id, state: { type: StateType.FAILED } });
      },
    },
  ];

  for (const c of cases) {
    it(`aborts a RUNNING proposal when the flow run is ${c.name}, writing nothing`, async () => {
      const flowRun = (
        await h.flowRuns.createFlowRun({
          flowId: await newFlowId(),
          ...(c.create !== undefined
            ? {
                state: {
                  type: c.create,
                  stateDetails: {
                    scheduledTime: timestampFromDate(new Date(Date.now() + 3_600_000)),
                  },
                },
              }
            : {}),
        })
      ).flowRun!;
      await c.flowState(flowRun.id);
      const task = await h.newTask({ flowRunId: flowRun.id });

      const result = await h.propose(task.id, { type: StateType.RUNNING });
      expect(result.status).toBe(SetStateStatus.ABORT);
      expect(result.details.case).toBe("abort");
      expect(reasonOf(result)).toBe(MUST_BE_RUNNING);
      // An ABORT answers the current state and commits nothing.
      expect(result.state?.type).toBe(StateType.PENDING);
      expect(result.state?.id).toBe(task.state!.id);
      const after = await getTask(task.id);
      expect(after.stateType).toBe(StateType.PENDING);
      expect(after.runCount).toBe(0);
      expect(after.flowRunRunCount).toBe(0);
      expect(await history(task.id)).toEqual(["PENDING:Pending"]);
    });
  }
});

describe("task rerun after its flow run was retried", () => {
  it("names the task's next RUNNING 'Retrying' and tracks the flow run's run count", async () => {
    const flowId = await newFlowId();
    const flowRunId = (
      await h.flowRuns.createFlowRun({ flowId, empiricalPolicy: { retries: 1, retryDelay: 0 } })
    ).flowRun!.id;
    await h.flowRuns.setFlowRunState({ flowRunId, state: { type: StateType.RUNNING } });
    const task = await h.newTask({ flowRunId });
    expect((await h.propose(task.id, { type: StateType.RUNNING })).state?.name).toBe("Running");
    let tracked = await getTask(task.id);
    expect(tracked.runCount).toBe(1);
    expect(tracked.flowRunRunCount).toBe(1);
    expect((await h.propose(task.id, { type: StateType.FAILED })).status).toBe(
      SetStateStatus.ACCEPT,
    );

    // The flow run fails and retries: run_count 1 → 2.
    const flowFailed = (
      await h.flowRuns.setFlowRunState({ flowRunId, state: { type: StateType.FAILED } })
    ).result!;
    expect(flowFailed.status).toBe(SetStateStatus.REJECT);
    expect(flowFailed.state?.name).toBe("AwaitingRetry");
    await h.flowRuns.setFlowRunState({ flowRunId, state: { type: StateType.RUNNING } });
    expect((await h.flowRuns.getFlowRun({ flowRunId })).flowRun?.runCount).toBe(2);

    const rerun = await h.propose(task.id, { type: StateType.RUNNING });
    expect(rerun.status).toBe(SetStateStatus.ACCEPT);
    expect(reasonOf(rerun)).toBe("");
    expect(rerun.state?.type).toBe(StateType.RUNNING);
    expect(rerun.state?.name).toBe("Retrying");
    tracked = await getTask(task.id);
    expect(tracked.stateName).toBe("Retrying");
    expect(tracked.runCount).toBe(1); // reset by the terminal-state rule, then incremented
    expect(tracked.flowRunRunCount).toBe(2);
    expect(await history(task.id)).toEqual([
      "PENDING:Pending",
      "RUNNING:Running",
      "FAILED:Failed",
      "RUNNING:Retrying",
    ]);
  });

  it("does not rename a rerun when the flow run was not retried (control)", async () => {
    const flowRunId = await h.newFlowRun();
    const task = await h.newTask({ flowRunId });
    await h.propose(task.id, { type: StateType.RUNNING });
    await h.propose(task.id, { type: StateType.FAILED });
    const rerun = await h.propose(task.id, { type: StateType.RUNNING });
    expect(rerun.status).toBe(SetStateStatus.ACCEPT);
    expect(rerun.state?.name).toBe("Running");
    expect((await getTask(task.id)).flowRunRunCount).toBe(1);
  });
});

describe("deferred (background) task", () => {
  it("is accepted into SCHEDULED by BackgroundTaskPolicy and streamed by WatchTaskRun", async () => {
    const task = await h.newTask({ taskKey: `background-${randomUUID()}` });
    expect(task.flowRunId).toBe("");

    const abort = new AbortController();
    const seen: State[] = [];
    const stream = h.tasks.watchTaskRun({ taskRunId: task.id }, { signal: abort.signal });
    const done = (async () => {
      try {
        for await (const message of stream) {
          seen.push(message.state!);
          if (seen.length === 2) abort.abort();
        }
      } catch (error) {
        if (!abort.signal.aborted) throw error;
      }
    })();
    await waitFor(() => seen.length === 1);

    const scheduledTime = timestampFromDate(new Date(Date.now() - 1_000));
    const result = await h.propose(task.id, {
      type: StateType.SCHEDULED,
      stateDetails: { deferred: true, scheduledTime },
    });
    expect(result.status).toBe(SetStateStatus.ACCEPT);
    expect(result.details.case).toBe("accept");
    expect(result.context?.policy).toBe("BackgroundTaskPolicy");
    expect(result.state?.type).toBe(StateType.SCHEDULED);
    expect(result.state?.name).toBe("Scheduled");
    expect(result.state?.stateDetails?.deferred).toBe(true);
    expect(result.state?.stateDetails?.taskRunId).toBe(task.id);
    await done;

    // The stream: the current state first, then the committed transition.
    expect(seen.map((s) => `${StateType[s.type]}:${s.name}`)).toEqual([
      "PENDING:Pending",
      "SCHEDULED:Scheduled",
    ]);
    expect(seen[0]!.id).toBe(task.state!.id);
    expect(seen[1]!.id).toBe(result.state!.id);
    expect(seen[1]!.stateDetails?.deferred).toBe(true);

    // A task worker that connects later sees the SCHEDULED state first.
    const late = new AbortController();
    for await (const message of h.tasks.watchTaskRun(
      { taskRunId: task.id },
      { signal: late.signal },
    )) {
      expect(message.state?.id).toBe(result.state!.id);
      expect(message.state?.type).toBe(StateType.SCHEDULED);
      expect(message.state?.stateDetails?.deferred).toBe(true);
      late.abort();
      break;
    }
    const after = await getTask(task.id);
    expect(after.stateType).toBe(StateType.SCHEDULED);
    expect(timestampMs(after.nextScheduledStartTime!)).toBe(timestampMs(scheduledTime));
  });

  it("uses BackgroundTaskPolicy for a deferred proposal even with force", async () => {
    const task = await h.newTask({ taskKey: `background-${randomUUID()}` });
    const result = await h.propose(
      task.id,
      { type: StateType.SCHEDULED, stateDetails: { deferred: true } },
      true,
    );
    expect(result.status).toBe(SetStateStatus.ACCEPT);
    expect(result.context?.policy).toBe("BackgroundTaskPolicy");
    expect(result.state?.type).toBe(StateType.SCHEDULED);
    expect(result.state?.stateDetails?.deferred).toBe(true);
  });
});

async function newFlowId(): Promise<string> {
  return (await server.client(FlowService).createFlow({ name: `flow-${randomUUID()}` })).flow!.id;
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error("condition not met");
}
