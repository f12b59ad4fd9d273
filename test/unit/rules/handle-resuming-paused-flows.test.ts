import { describe, expect, it } from "vitest";
import type { StateDetails, StateType } from "../../../src/domain/index.ts";
import { HandleResumingPausedFlows } from "../../../src/orchestration/index.ts";
import { at, makeFlowRun, makeState, outcome, runFlow } from "./support.ts";

const rules = [HandleResumingPausedFlows];

interface Case {
  name: string;
  to: StateType;
  toName?: string;
  details?: StateDetails;
  deploymentId?: string;
  status: string;
  reason?: string;
}

describe("HandleResumingPausedFlows", () => {
  it.each<Case>([
    { name: "PAUSED → RUNNING", to: "RUNNING", status: "ACCEPT" },
    {
      name: "PAUSED → Resuming (suspended, deployed)",
      to: "SCHEDULED",
      toName: "Resuming",
      details: { pauseReschedule: true },
      deploymentId: "d",
      status: "ACCEPT",
    },
    { name: "PAUSED → COMPLETED", to: "COMPLETED", status: "ACCEPT" },
    { name: "PAUSED → CANCELLED", to: "CANCELLED", status: "ACCEPT" },
    {
      name: "PAUSED → PENDING",
      to: "PENDING",
      status: "REJECT",
      reason:
        "This run cannot transition to the StateType.PENDING state from the StateType.PAUSED state.",
    },
    {
      name: "PAUSED → PAUSED",
      to: "PAUSED",
      status: "REJECT",
      reason:
        "This run cannot transition to the StateType.PAUSED state from the StateType.PAUSED state.",
    },
    {
      name: "PAUSED → CANCELLING",
      to: "CANCELLING",
      status: "REJECT",
      reason:
        "This run cannot transition to the StateType.CANCELLING state from the StateType.PAUSED state.",
    },
    {
      name: "suspended without a deployment → Resuming",
      to: "SCHEDULED",
      toName: "Resuming",
      details: { pauseReschedule: true },
      status: "REJECT",
      reason: "Cannot reschedule a resuming flow run without a deployment.",
    },
    {
      name: "suspended without a deployment → RUNNING",
      to: "RUNNING",
      details: { pauseReschedule: true },
      status: "REJECT",
      reason: "Cannot reschedule a running flow run without a deployment.",
    },
    {
      name: "pause timed out → RUNNING",
      to: "RUNNING",
      details: { pauseTimeout: at(-1) },
      status: "REJECT",
      reason: "The flow run pause has timed out and can no longer resume.",
    },
    {
      name: "suspend timed out → Suspended name",
      to: "RUNNING",
      toName: "Suspended",
      details: { pauseTimeout: at(-1) },
      status: "REJECT",
      reason: "The flow run suspend has timed out and can no longer resume.",
    },
    {
      name: "pause timeout in the future → RUNNING",
      to: "RUNNING",
      details: { pauseTimeout: at(60) },
      status: "ACCEPT",
    },
    {
      name: "pause timeout exactly now → RUNNING",
      to: "RUNNING",
      details: { pauseTimeout: at(0) },
      status: "ACCEPT",
    },
  ])("$name → $status", async (c) => {
    const result = await runFlow({
      initial: makeState("PAUSED", { stateDetails: c.details ?? {} }),
      proposed: makeState(c.to, { name: c.toName ?? null }),
      run: makeFlowRun({ deploymentId: c.deploymentId ?? null }),
      rules,
    });
    expect(result.status).toBe(c.status);
    if (c.reason) expect(result.details).toEqual({ type: "reject_details", reason: c.reason });
  });

  it("a timed-out pause fails the run with a message naming the proposal", async () => {
    const result = await runFlow({
      initial: makeState("PAUSED", { stateDetails: { pauseTimeout: at(-1) } }),
      proposed: makeState("RUNNING"),
      rules,
    });
    expect(result.state).toMatchObject({
      type: "FAILED",
      name: "Failed",
      message: "The flow was running and never resumed.",
    });
  });

  it.each([
    { name: "an accepted resume", to: "RUNNING" as const },
    { name: "§8.3.6 a refused resume (Prefect quirk, kept)", to: "PENDING" as const },
  ])("marks the run as resuming after $name", async ({ to }) => {
    const run = makeFlowRun();
    const result = await runFlow({
      initial: makeState("PAUSED"),
      proposed: makeState(to),
      run,
      rules,
    });
    expect(run.empiricalPolicy.resuming).toBe(true);
    expect(result.context.finalizationSignature).toEqual(["HandleResumingPausedFlows"]);
    expect(outcome(result).status).toBe(to === "RUNNING" ? "ACCEPT" : "REJECT");
  });
});
