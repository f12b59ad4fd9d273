import { describe, expect, it } from "vitest";
import type { TaskRunPolicy } from "../../../src/domain/index.ts";
import {
  EARLIEST_TIME_MS,
  LATEST_TIME_MS,
  RetryFailedTasks,
  taskRetryDelaySeconds,
} from "../../../src/orchestration/index.ts";
import { at, makeState } from "./support.ts";
import { FakeTaskDeps, FixedRandom, makeTaskRun, runTask } from "./task-support.ts";

const rules = [RetryFailedTasks];

function policy(p: Partial<TaskRunPolicy>): TaskRunPolicy {
  return { retries: null, retryDelay: null, retryJitterFactor: null, ...p };
}

describe("RetryFailedTasks", () => {
  it.each([
    { name: "retries=1, no delay", runCount: 1, p: { retries: 1 }, scheduled: at(0) },
    {
      name: "retries=2, delay 10",
      runCount: 2,
      p: { retries: 2, retryDelay: 10 },
      scheduled: at(10),
    },
    {
      name: "fractional delay 1.5",
      runCount: 1,
      p: { retries: 1, retryDelay: 1.5 },
      scheduled: at(1.5),
    },
    {
      name: "list, 1st attempt",
      runCount: 1,
      p: { retries: 3, retryDelay: [2, 3] },
      scheduled: at(2),
    },
    {
      name: "list, 2nd attempt",
      runCount: 2,
      p: { retries: 3, retryDelay: [2, 3] },
      scheduled: at(3),
    },
    {
      name: "list, last repeats",
      runCount: 3,
      p: { retries: 3, retryDelay: [2, 3] },
      scheduled: at(3),
    },
    {
      name: "jitter 0.3, random 0 (lower clamp)",
      runCount: 1,
      p: { retries: 1, retryDelay: 10, retryJitterFactor: 0.3 },
      scheduled: at(7.517),
    },
    {
      name: "jitter 1, random 0.25",
      runCount: 1,
      p: { retries: 1, retryDelay: 3, retryJitterFactor: 1 },
      scheduled: at(1.909),
    },
  ])("RUNNING → FAILED, $name → AwaitingRetry", async ({ runCount, p, scheduled }) => {
    const deps = new FakeTaskDeps();
    deps.random = new FixedRandom(p.retryJitterFactor === 1 ? 0.25 : 0);
    const result = await runTask({
      initial: makeState("RUNNING"),
      proposed: makeState("FAILED", { message: "boom", data: { type: "reference" } }),
      run: makeTaskRun({ runCount, empiricalPolicy: policy(p) }),
      deps,
      rules,
    });
    expect(result.status).toBe("REJECT");
    expect(result.details).toEqual({ type: "reject_details", reason: "Retrying" });
    expect(result.state).toMatchObject({
      type: "SCHEDULED",
      name: "AwaitingRetry",
      message: "boom",
      data: { type: "reference" },
      stateDetails: { scheduledTime: scheduled },
    });
  });

  it.each([
    { name: "no retries configured", runCount: 1, p: {}, retriable: undefined },
    { name: "retries exhausted", runCount: 3, p: { retries: 2 }, retriable: undefined },
    { name: "retries=0", runCount: 1, p: { retries: 0 }, retriable: undefined },
    { name: "retriable=false", runCount: 1, p: { retries: 5 }, retriable: false },
  ])("RUNNING → FAILED with $name → ACCEPT", async ({ runCount, p, retriable }) => {
    const result = await runTask({
      initial: makeState("RUNNING"),
      proposed: makeState("FAILED", { stateDetails: retriable === undefined ? {} : { retriable } }),
      run: makeTaskRun({ runCount, empiricalPolicy: policy(p) }),
      rules,
    });
    expect(result.status).toBe("ACCEPT");
    expect(result.state?.type).toBe("FAILED");
  });

  it("retriable=null does not suppress the retry", async () => {
    const result = await runTask({
      initial: makeState("RUNNING"),
      proposed: makeState("FAILED", { stateDetails: { retriable: null } }),
      run: makeTaskRun({ runCount: 1, empiricalPolicy: policy({ retries: 1 }) }),
      rules,
    });
    expect(result.state?.name).toBe("AwaitingRetry");
  });

  it.each([
    { name: "no delay", delay: null },
    { name: "a zero delay", delay: 0 },
    { name: "a zero in a delay list", delay: [0] },
  ])("§8.3.2 jitter with $name: no jitter, no division by zero, retry now", async ({ delay }) => {
    const deps = new FakeTaskDeps();
    const result = await runTask({
      initial: makeState("RUNNING"),
      proposed: makeState("FAILED"),
      run: makeTaskRun({
        runCount: 1,
        empiricalPolicy: policy({ retries: 1, retryDelay: delay, retryJitterFactor: 0.5 }),
      }),
      deps,
      rules,
    });
    expect(result.state?.stateDetails.scheduledTime).toEqual(at(0));
    expect(deps.random.draws).toBe(0);
  });

  it.each([
    { name: "1e308", p: { retryDelay: 1e308 }, scheduled: new Date(LATEST_TIME_MS) },
    { name: "[1e308]", p: { retryDelay: [1e308] }, scheduled: new Date(LATEST_TIME_MS) },
    {
      name: "1e308 with jitter",
      p: { retryDelay: 1e308, retryJitterFactor: 0.3 },
      scheduled: new Date(LATEST_TIME_MS),
    },
    {
      name: "Infinity with jitter",
      p: { retryDelay: Number.POSITIVE_INFINITY, retryJitterFactor: 0.3 },
      scheduled: new Date(LATEST_TIME_MS),
    },
    { name: "-1e308", p: { retryDelay: [-1e308] }, scheduled: new Date(EARLIEST_TIME_MS) },
    { name: "NaN", p: { retryDelay: Number.NaN }, scheduled: at(0) },
  ])(
    "regression: a retry delay of $name schedules a valid time (no 'Invalid time value' at FAILED)",
    async ({ p, scheduled }) => {
      const result = await runTask({
        initial: makeState("RUNNING"),
        proposed: makeState("FAILED"),
        run: makeTaskRun({ runCount: 1, empiricalPolicy: policy({ retries: 1, ...p }) }),
        rules,
      });
      expect(result.state?.name).toBe("AwaitingRetry");
      const time = result.state?.stateDetails.scheduledTime;
      expect(time).toEqual(scheduled);
      expect(() => time?.toISOString()).not.toThrow();
    },
  );

  it("delay lists index like Python: run_count 0 takes the last, an empty list is 0", () => {
    const random = new FixedRandom();
    expect(taskRetryDelaySeconds(policy({ retryDelay: [1, 2, 9] }), 0, random)).toBe(9);
    expect(taskRetryDelaySeconds(policy({ retryDelay: [] }), 1, random)).toBe(0);
  });
});
