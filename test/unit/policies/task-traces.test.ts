/**
 * The end-to-end task traces of spec §6 (task retry with a delay list, cache hit, cache
 * refresh, expired cache entry) plus tag slots over a task's lifetime, run through the real
 * CoreTaskPolicy / MinimalTaskPolicy / BackgroundTaskPolicy + GlobalTaskPolicy with fake
 * ports: each step proposes a state against the run's current state, as a worker would.
 */
import { describe, expect, it } from "vitest";
import type { State, StateInit, TaskRun } from "../../../src/domain/index.ts";
import type { Policy } from "../../../src/orchestration/index.ts";
import {
  CoreTaskPolicy,
  newState,
  type TaskOrchestrationDeps,
  taskRunPolicies,
} from "../../../src/orchestration/index.ts";
import { at, makeState } from "../rules/support.ts";
import {
  FakeTaskDeps,
  FakeTaskStateWriter,
  makeTaskRun,
  runTask,
  type TaskResult,
} from "../rules/task-support.ts";

/** One task run driven through the policies; its states are remembered like a store would. */
class Driver {
  readonly deps: FakeTaskDeps;
  readonly run: TaskRun;
  readonly writer: FakeTaskStateWriter;
  current: State | null = null;

  constructor(deps: FakeTaskDeps, run: TaskRun) {
    this.deps = deps;
    this.run = run;
    this.writer = new FakeTaskStateWriter(deps);
    // The cache points at stored states.
    const write = this.writer.writeState.bind(this.writer);
    this.writer.writeState = async (r, state) => {
      const stored = await write(r, state);
      deps.cache.states.set(stored.id, stored);
      return stored;
    };
  }

  async propose(
    init: StateInit,
    options: { force?: boolean; policy?: Policy<TaskRun, TaskOrchestrationDeps> } = {},
  ): Promise<TaskResult> {
    const result = await runTask({
      initial: this.current,
      proposed: newState(this.deps, init),
      run: this.run,
      deps: this.deps,
      writer: this.writer,
      policies: taskRunPolicies,
      policy: options.policy ?? CoreTaskPolicy,
      force: options.force ?? false,
    });
    this.current = result.state;
    return result;
  }

  advance(seconds: number): void {
    this.deps.clock.current = new Date(this.deps.clock.current.getTime() + seconds * 1000);
  }
}

function flowRunning(deps: FakeTaskDeps): void {
  deps.flowRuns.set(makeState("RUNNING"), { runCount: 1 });
}

describe("§6 task traces", () => {
  it("task retry with retries=2, retry_delay=[2, 3]", async () => {
    const deps = new FakeTaskDeps();
    flowRunning(deps);
    const task = new Driver(
      deps,
      makeTaskRun({ empiricalPolicy: { retries: 2, retryDelay: [2, 3], retryJitterFactor: null } }),
    );

    expect((await task.propose({ type: "PENDING" }, { force: true })).status).toBe("ACCEPT");
    task.advance(1);
    const running = await task.propose({ type: "RUNNING" });
    expect(running.state?.name).toBe("Running");
    expect(task.run).toMatchObject({ runCount: 1, flowRunRunCount: 1, startTime: at(1) });

    task.advance(1);
    const firstFailure = await task.propose({ type: "FAILED", message: "boom" });
    expect(firstFailure.status).toBe("REJECT");
    expect(firstFailure.details).toEqual({ type: "reject_details", reason: "Retrying" });
    expect(firstFailure.state).toMatchObject({
      type: "SCHEDULED",
      name: "AwaitingRetry",
      message: "boom",
      stateDetails: { scheduledTime: at(4), taskRunId: "task-run-1", flowRunId: "flow-run-1" },
    });
    expect(task.run).toMatchObject({ stateType: "SCHEDULED", nextScheduledStartTime: at(4) });

    const early = await task.propose({ type: "RUNNING" });
    expect(early.details).toEqual({
      type: "wait_details",
      delaySeconds: 2,
      reason: "Scheduled time is in the future",
    });

    task.advance(2);
    const retrying = await task.propose({ type: "RUNNING" });
    expect(retrying.status).toBe("ACCEPT");
    expect(retrying.state?.name).toBe("Retrying");
    expect(task.run.runCount).toBe(2);

    task.advance(1);
    const second = await task.propose({ type: "FAILED" });
    expect(second.state).toMatchObject({
      name: "AwaitingRetry",
      stateDetails: { scheduledTime: at(8) },
    });

    task.advance(3);
    expect((await task.propose({ type: "RUNNING" })).state?.name).toBe("Retrying");
    expect(task.run.runCount).toBe(3);
    task.advance(1);
    const final = await task.propose({ type: "FAILED" });
    expect(final.status).toBe("ACCEPT");
    expect(final.state?.type).toBe("FAILED");
    expect(task.run).toMatchObject({ endTime: at(9), totalRunTime: 3 });
  });

  it("cache hit: B gets a 'Cached' COMPLETED copy of A's result and never runs", async () => {
    const deps = new FakeTaskDeps();
    flowRunning(deps);
    const a = new Driver(deps, makeTaskRun({ id: "task-a" }));
    await a.propose({ type: "PENDING" }, { force: true });
    await a.propose({ type: "RUNNING", stateDetails: { cacheKey: "K" } });
    a.advance(1);
    const done = await a.propose({
      type: "COMPLETED",
      data: { type: "reference", storage_key: "a-result" },
      stateDetails: { cacheKey: "K", cacheExpiration: at(100) },
    });
    expect(deps.cache.entries).toEqual([
      { cacheKey: "K", cacheExpiration: at(100), taskRunStateId: done.state?.id },
    ]);

    const b = new Driver(deps, makeTaskRun({ id: "task-b" }));
    await b.propose({ type: "PENDING" }, { force: true });
    b.advance(1);
    const hit = await b.propose({ type: "RUNNING", stateDetails: { cacheKey: "K" } });
    expect(hit.status).toBe("REJECT");
    expect(hit.details).toEqual({ type: "reject_details", reason: "Retrieved state from cache" });
    expect(hit.state).toMatchObject({
      type: "COMPLETED",
      name: "Cached",
      data: { type: "reference", storage_key: "a-result" },
      stateDetails: { taskRunId: "task-b" },
    });
    expect(hit.state?.id).not.toBe(done.state?.id);
    expect(b.run).toMatchObject({ runCount: 0, endTime: at(2), stateName: "Cached" });
    expect(deps.cache.entries).toHaveLength(1);
  });

  it("cache refresh runs the task and caches its new result; an expired entry is ignored", async () => {
    const deps = new FakeTaskDeps();
    flowRunning(deps);
    const old = makeState("COMPLETED", { data: { type: "reference" } });
    deps.cache.seed({ cacheKey: "K", cacheExpiration: null, taskRunStateId: old.id }, old);
    deps.cache.seed({ cacheKey: "E", cacheExpiration: at(-1), taskRunStateId: old.id }, old);

    const refresh = new Driver(deps, makeTaskRun({ id: "task-r" }));
    await refresh.propose({ type: "PENDING" }, { force: true });
    const ran = await refresh.propose({
      type: "RUNNING",
      stateDetails: { cacheKey: "K", refreshCache: true },
    });
    expect(ran.state?.name).toBe("Running");
    const fresh = await refresh.propose({ type: "COMPLETED", stateDetails: { cacheKey: "K" } });
    expect(deps.cache.entries.at(-1)).toMatchObject({
      cacheKey: "K",
      taskRunStateId: fresh.state?.id,
    });

    const expired = new Driver(deps, makeTaskRun({ id: "task-e" }));
    await expired.propose({ type: "PENDING" }, { force: true });
    const miss = await expired.propose({ type: "RUNNING", stateDetails: { cacheKey: "E" } });
    expect(miss.status).toBe("ACCEPT");
    expect(miss.state?.name).toBe("Running");
  });

  it("tag slots: taken on RUNNING, kept and refreshed while RUNNING, freed on COMPLETED", async () => {
    const deps = new FakeTaskDeps();
    flowRunning(deps);
    deps.tagLimits.add("db", 1);
    const first = new Driver(deps, makeTaskRun({ id: "t1", tags: ["db"] }));
    const second = new Driver(deps, makeTaskRun({ id: "t2", tags: ["db"] }));
    await first.propose({ type: "PENDING" }, { force: true });
    await second.propose({ type: "PENDING" }, { force: true });

    expect((await first.propose({ type: "RUNNING" })).status).toBe("ACCEPT");
    expect((await second.propose({ type: "RUNNING" })).status).toBe("WAIT");
    first.advance(100);
    expect((await first.propose({ type: "RUNNING" })).state?.name).toBe("Rerunning");
    expect(deps.tagLimits.expiryOf("db", "t1")).toEqual(at(400));

    await first.propose({ type: "COMPLETED" });
    expect(deps.tagLimits.holdersOf("db")).toEqual([]);
    expect((await second.propose({ type: "RUNNING" })).status).toBe("ACCEPT");
    expect(deps.tagLimits.holdersOf("db")).toEqual(["t2"]);
  });

  it("a replayed proposal with the current transition_id writes nothing", async () => {
    const deps = new FakeTaskDeps();
    flowRunning(deps);
    const task = new Driver(deps, makeTaskRun());
    await task.propose({ type: "PENDING" }, { force: true });
    const first = await task.propose({ type: "RUNNING", stateDetails: { transitionId: "t-1" } });
    const replay = await task.propose({ type: "RUNNING", stateDetails: { transitionId: "t-1" } });
    expect(first.status).toBe("ACCEPT");
    expect(replay.status).toBe("REJECT");
    expect(replay.details).toEqual({
      type: "reject_details",
      reason: "This run has already made this state transition.",
    });
    expect(task.run.runCount).toBe(1);
  });

  it("a deferred task is scheduled through BackgroundTaskPolicy, even forced, and announced", async () => {
    const deps = new FakeTaskDeps();
    const task = new Driver(deps, makeTaskRun({ flowRunId: null }));
    const scheduled = await task.propose(
      { type: "SCHEDULED", stateDetails: { deferred: true, taskParametersId: "p-1" } },
      { force: true },
    );
    expect(scheduled.context.policyName).toBe("BackgroundTaskPolicy");
    expect(deps.scheduledTasks).toMatchObject({
      notified: [{ taskRunId: "task-run-1", queue: "scheduled" }],
    });
    const pending = await task.propose({ type: "PENDING", stateDetails: { deferred: true } });
    expect(pending.state?.stateDetails.taskParametersId).toBe("p-1");
    const again = await task.propose({ type: "PENDING", stateDetails: { deferred: true } });
    expect(again.status).toBe("ABORT");
  });

  it("§8.2.5 two states minted in the same millisecond get distinct timestamps", async () => {
    const deps = new FakeTaskDeps();
    flowRunning(deps);
    const task = new Driver(deps, makeTaskRun());
    const pending = await task.propose({ type: "PENDING" }, { force: true });
    const running = await task.propose({ type: "RUNNING" });
    expect(pending.state?.timestamp).toEqual(at(0));
    expect(running.state?.timestamp).toEqual(new Date(at(0).getTime() + 1));
  });
});
