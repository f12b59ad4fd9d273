import { describe, expect, it } from "vitest";
import type { StateDetails, StateType } from "../../../src/domain/index.ts";
import { BypassCancellingFlowRunsWithNoInfra } from "../../../src/orchestration/index.ts";
import { makeFlowRun, makeState, runFlow, T0 } from "./support.ts";

const rules = [BypassCancellingFlowRunsWithNoInfra];
const SCHEDULED_REASON = "Scheduled flow run has no infrastructure to terminate.";
const SUSPENDED_REASON = "Suspended flow run has no infrastructure to terminate.";

interface Case {
  name: string;
  from: StateType;
  fromName?: string;
  details?: StateDetails;
  pid: string | null;
  reason: string | null;
}

describe("BypassCancellingFlowRunsWithNoInfra", () => {
  it.each<Case>([
    {
      name: "SCHEDULED without infrastructure",
      from: "SCHEDULED",
      pid: null,
      reason: SCHEDULED_REASON,
    },
    { name: "SCHEDULED with an empty pid", from: "SCHEDULED", pid: "", reason: SCHEDULED_REASON },
    {
      name: "SCHEDULED 'Resuming' even with a pid",
      from: "SCHEDULED",
      fromName: "Resuming",
      pid: "4242",
      reason: SCHEDULED_REASON,
    },
    {
      name: "PAUSED 'Resuming' (name wins)",
      from: "PAUSED",
      fromName: "Resuming",
      pid: "4242",
      reason: SCHEDULED_REASON,
    },
    {
      name: "suspended PAUSED",
      from: "PAUSED",
      details: { pauseReschedule: true },
      pid: "4242",
      reason: SUSPENDED_REASON,
    },
    {
      name: "SCHEDULED AwaitingRetry with a pid",
      from: "SCHEDULED",
      fromName: "AwaitingRetry",
      pid: "4242",
      reason: null,
    },
    {
      name: "blocking PAUSED",
      from: "PAUSED",
      details: { pauseReschedule: false },
      pid: null,
      reason: null,
    },
  ])("$name → CANCELLING", async (c) => {
    const result = await runFlow({
      initial: makeState(c.from, { name: c.fromName ?? null, stateDetails: c.details ?? {} }),
      proposed: makeState("CANCELLING"),
      run: makeFlowRun({ infrastructurePid: c.pid }),
      rules,
    });

    if (c.reason === null) {
      expect(result.status).toBe("ACCEPT");
      expect(result.state?.type).toBe("CANCELLING");
      return;
    }
    expect(result.status).toBe("REJECT");
    expect(result.details).toEqual({ type: "reject_details", reason: c.reason });
    expect(result.state).toMatchObject({
      type: "CANCELLED",
      name: "Cancelled",
      message: null,
      timestamp: T0,
    });
  });
});
