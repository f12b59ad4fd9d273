import { describe, expect, it } from "vitest";
import { defaultFlowRunPolicy, type FlowRunPolicy } from "../../../src/domain/index.ts";
import { LATEST_TIME_MS, RetryFailedFlows } from "../../../src/orchestration/index.ts";
import { at, makeFlowRun, makeState, outcome, runFlow } from "./support.ts";

const rules = [RetryFailedFlows];

function runWith(runCount: number, policy: Partial<FlowRunPolicy>) {
  return makeFlowRun({ runCount, empiricalPolicy: { ...defaultFlowRunPolicy(), ...policy } });
}

describe("RetryFailedFlows", () => {
  it.each([
    { name: "retries=1, first run", runCount: 1, retries: 1, delay: 10, scheduled: at(10) },
    { name: "retries=2, second run", runCount: 2, retries: 2, delay: null, scheduled: at(0) },
    {
      name: "retries=3, fractional delay",
      runCount: 1,
      retries: 3,
      delay: 1.5,
      scheduled: at(1.5),
    },
  ])(
    "RUNNING → FAILED with $name → AwaitingRetry",
    async ({ runCount, retries, delay, scheduled }) => {
      const run = runWith(runCount, {
        retries,
        retryDelay: delay,
        pauseKeys: ["k"],
        resuming: true,
      });
      const result = await runFlow({
        initial: makeState("RUNNING"),
        proposed: makeState("FAILED", { message: "boom", data: { type: "reference" } }),
        run,
        rules,
      });

      expect(outcome(result)).toEqual({
        status: "REJECT",
        details: { type: "reject_details", reason: "Retrying" },
      });
      expect(result.state).toMatchObject({
        type: "SCHEDULED",
        name: "AwaitingRetry",
        message: "boom",
        data: { type: "reference" },
        stateDetails: { scheduledTime: scheduled },
      });
      expect(run.empiricalPolicy).toMatchObject({
        retryType: "in_process",
        pauseKeys: [],
        resuming: false,
      });
    },
  );

  it.each([
    { name: "no retries configured", runCount: 1, retries: null },
    { name: "§8.3.3 retries exhausted", runCount: 2, retries: 1 },
    { name: "retries=0", runCount: 1, retries: 0 },
  ])(
    "RUNNING → FAILED with $name → ACCEPT and retry_type cleared",
    async ({ runCount, retries }) => {
      const run = runWith(runCount, { retries, retryType: "in_process" });
      const result = await runFlow({
        initial: makeState("RUNNING"),
        proposed: makeState("FAILED"),
        run,
        rules,
      });

      expect(result.status).toBe("ACCEPT");
      expect(result.state?.type).toBe("FAILED");
      expect(run.empiricalPolicy.retryType).toBeNull();
    },
  );

  it.each([
    { name: "1e308", delay: 1e308, scheduled: new Date(LATEST_TIME_MS) },
    { name: "Infinity", delay: Number.POSITIVE_INFINITY, scheduled: new Date(LATEST_TIME_MS) },
    { name: "NaN", delay: Number.NaN, scheduled: at(0) },
  ])(
    "regression: a retry delay of $name schedules a valid time (no 'Invalid time value' at FAILED)",
    async ({ delay, scheduled }) => {
      const result = await runFlow({
        initial: makeState("RUNNING"),
        proposed: makeState("FAILED"),
        run: runWith(1, { retries: 1, retryDelay: delay }),
        rules,
      });
      expect(result.state?.name).toBe("AwaitingRetry");
      const time = result.state?.stateDetails.scheduledTime;
      expect(time).toEqual(scheduled);
      expect(() => time?.toISOString()).not.toThrow();
    },
  );

  it("does not apply to PENDING → FAILED", async () => {
    const run = runWith(0, { retries: 3 });
    const result = await runFlow({
      initial: makeState("PENDING"),
      proposed: makeState("FAILED"),
      run,
      rules,
    });
    expect(result.status).toBe("ACCEPT");
  });
});
