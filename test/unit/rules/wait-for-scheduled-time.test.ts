import { describe, expect, it } from "vitest";
import type { StateType } from "../../../src/domain/index.ts";
import { secondsUntil, WaitForScheduledTime } from "../../../src/orchestration/index.ts";
import { makeState, outcome, runFlow, T0 } from "./support.ts";

const rules = [WaitForScheduledTime];

describe("WaitForScheduledTime", () => {
  it.each<{ name: string; from: StateType; aheadMs: number | null; delay: number }>([
    { name: "5 minutes ahead", from: "SCHEDULED", aheadMs: 300_000, delay: 300 },
    { name: "5 minutes ahead from PENDING", from: "PENDING", aheadMs: 300_000, delay: 300 },
    { name: "1.5 s ahead (half rounds to even: 1)", from: "SCHEDULED", aheadMs: 1_500, delay: 1 },
    { name: "1.501 s ahead", from: "SCHEDULED", aheadMs: 1_501, delay: 2 },
    { name: "0.5 s ahead starts now", from: "SCHEDULED", aheadMs: 500, delay: 0 },
    { name: "0.501 s ahead", from: "SCHEDULED", aheadMs: 501, delay: 1 },
    { name: "exactly now", from: "SCHEDULED", aheadMs: 0, delay: 0 },
    { name: "a minute late", from: "SCHEDULED", aheadMs: -60_000, delay: 0 },
    { name: "no scheduled time", from: "PENDING", aheadMs: null, delay: 0 },
  ])("$from → RUNNING, $name: delay $delay", async ({ from, aheadMs, delay }) => {
    const scheduledTime = aheadMs === null ? null : new Date(T0.getTime() + aheadMs);
    const result = await runFlow({
      initial: makeState(from, { stateDetails: { scheduledTime } }),
      proposed: makeState("RUNNING"),
      rules,
    });
    if (delay === 0) {
      expect(result.status).toBe("ACCEPT");
    } else {
      expect(outcome(result)).toEqual({
        status: "WAIT",
        details: {
          type: "wait_details",
          delaySeconds: delay,
          reason: "Scheduled time is in the future",
        },
      });
    }
  });

  it("rounds negative fractions like Python (floor + half-even of the µs part)", () => {
    expect(secondsUntil(new Date(T0.getTime() - 300), T0)).toBe(0);
    expect(secondsUntil(new Date(T0.getTime() - 1_700), T0)).toBe(-2);
  });
});
