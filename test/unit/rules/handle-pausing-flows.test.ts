import { describe, expect, it } from "vitest";
import { defaultFlowRunPolicy, type FlowRun, type StateType } from "../../../src/domain/index.ts";
import { HandlePausingFlows } from "../../../src/orchestration/index.ts";
import { endingRule, makeFlowRun, makeState, runFlow } from "./support.ts";

const rules = [HandlePausingFlows];

interface Case {
  name: string;
  from: StateType | null;
  toName?: string;
  key?: string;
  reschedule?: boolean;
  run?: Partial<FlowRun>;
  status: string;
  reason?: string;
}

describe("HandlePausingFlows", () => {
  it.each<Case>([
    { name: "RUNNING → Paused", from: "RUNNING", status: "ACCEPT" },
    {
      name: "RUNNING → Suspended with a deployment",
      from: "RUNNING",
      toName: "Suspended",
      reschedule: true,
      run: { deploymentId: "d" },
      status: "ACCEPT",
    },
    {
      name: "no state → Paused",
      from: null,
      status: "ABORT",
      reason: "Cannot pause flows with no state.",
    },
    {
      name: "no state → Suspended",
      from: null,
      toName: "Suspended",
      status: "ABORT",
      reason: "Cannot suspend flows with no state.",
    },
    {
      name: "PENDING → Paused",
      from: "PENDING",
      status: "REJECT",
      reason: "Cannot pause flows that are not currently running.",
    },
    {
      name: "PAUSED → Suspended",
      from: "PAUSED",
      toName: "Suspended",
      status: "REJECT",
      reason: "Cannot suspend flows that are not currently running.",
    },
    {
      name: "a pause key that already fired",
      from: "RUNNING",
      key: "k1",
      status: "REJECT",
      reason: "This pause has already fired.",
    },
    {
      name: "a suspend key that already fired",
      from: "RUNNING",
      toName: "Suspended",
      key: "k1",
      status: "REJECT",
      reason: "This suspend has already fired.",
    },
    {
      name: "rescheduling pause of a subflow",
      from: "RUNNING",
      reschedule: true,
      run: { deploymentId: "d", parentTaskRunId: "t" },
      status: "ABORT",
      reason: "Cannot pause subflows.",
    },
    {
      name: "rescheduling suspend without a deployment",
      from: "RUNNING",
      toName: "Suspended",
      reschedule: true,
      status: "ABORT",
      reason: "Cannot suspend flows without a deployment.",
    },
  ])("$name → $status", async (c) => {
    const run = makeFlowRun({
      ...c.run,
      empiricalPolicy: { ...defaultFlowRunPolicy(), pauseKeys: ["k1"] },
    });
    const result = await runFlow({
      initial: c.from && makeState(c.from),
      proposed: makeState("PAUSED", {
        name: c.toName ?? null,
        stateDetails: { pauseKey: c.key ?? null, pauseReschedule: c.reschedule ?? false },
      }),
      run,
      rules,
    });

    expect(result.status).toBe(c.status);
    if (c.reason) {
      const type = c.status === "ABORT" ? "abort_details" : "reject_details";
      expect(result.details).toEqual({ type, reason: c.reason });
      expect(run.empiricalPolicy.pauseKeys).toEqual(["k1"]);
    }
  });

  it("records the given pause key once the pause is accepted", async () => {
    const run = makeFlowRun();
    await runFlow({
      initial: makeState("RUNNING"),
      proposed: makeState("PAUSED", { stateDetails: { pauseKey: "step-3" } }),
      run,
      rules,
    });
    expect(run.empiricalPolicy.pauseKeys).toEqual(["step-3"]);
  });

  it("records a new random key when the pause has none", async () => {
    const run = makeFlowRun();
    await runFlow({ initial: makeState("RUNNING"), proposed: makeState("PAUSED"), run, rules });
    expect(run.empiricalPolicy.pauseKeys).toEqual(["id-1"]);
  });

  it("records nothing when a later rule nullifies the pause", async () => {
    const run = makeFlowRun();
    await runFlow({
      initial: makeState("RUNNING"),
      proposed: makeState("PAUSED", { stateDetails: { pauseKey: "k" } }),
      run,
      rules: [...rules, endingRule("Stop", { abort: "stop" })],
    });
    expect(run.empiricalPolicy.pauseKeys).toEqual([]);
  });
});
