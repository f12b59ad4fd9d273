import { describe, expect, it } from "vitest";
import { defaultFlowRunPolicy, type JsonValue, type StateType } from "../../../src/domain/index.ts";
import { HandleFlowTerminalStateTransitions } from "../../../src/orchestration/index.ts";
import { endingRule, makeFlowRun, makeState, outcome, runFlow } from "./support.ts";

const rules = [HandleFlowTerminalStateTransitions];
const persisted: JsonValue = { type: "reference", storage_key: "s3://bucket/result" };
const unpersisted: JsonValue = { type: "unpersisted" };

interface Case {
  name: string;
  from: StateType;
  to: StateType;
  initialData?: JsonValue;
  proposedData?: JsonValue;
  deploymentId?: string | null;
  status: string;
  reason?: string;
}

const cases: Case[] = [
  {
    name: "COMPLETED → CANCELLING",
    from: "COMPLETED",
    to: "CANCELLING",
    status: "ABORT",
    reason: "Run is already in terminal state COMPLETED.",
  },
  {
    name: "FAILED → PAUSED",
    from: "FAILED",
    to: "PAUSED",
    status: "ABORT",
    reason: "Run is already in terminal state FAILED.",
  },
  {
    name: "CANCELLED → CRASHED",
    from: "CANCELLED",
    to: "CRASHED",
    status: "ABORT",
    reason: "Run is already in terminal state CANCELLED.",
  },
  {
    name: "CRASHED → CANCELLING",
    from: "CRASHED",
    to: "CANCELLING",
    status: "ABORT",
    reason: "Run is already in terminal state CRASHED.",
  },
  {
    name: "COMPLETED(persisted) → RUNNING",
    from: "COMPLETED",
    to: "RUNNING",
    initialData: persisted,
    status: "REJECT",
    reason: "Run is already COMPLETED.",
  },
  {
    name: "COMPLETED(persisted, no type key) → PENDING",
    from: "COMPLETED",
    to: "PENDING",
    initialData: { value: 1 },
    status: "REJECT",
    reason: "Run is already COMPLETED.",
  },
  {
    name: "COMPLETED(persisted) → COMPLETED(none)",
    from: "COMPLETED",
    to: "COMPLETED",
    initialData: persisted,
    status: "REJECT",
    reason:
      "Cannot overwrite a COMPLETED state that carries persisted result data with one that does not.",
  },
  {
    name: "COMPLETED(persisted) → COMPLETED(scalar)",
    from: "COMPLETED",
    to: "COMPLETED",
    initialData: persisted,
    proposedData: 42,
    status: "REJECT",
    reason:
      "Cannot overwrite a COMPLETED state that carries persisted result data with one that does not.",
  },
  {
    name: "COMPLETED(persisted) → COMPLETED(persisted)",
    from: "COMPLETED",
    to: "COMPLETED",
    initialData: persisted,
    proposedData: persisted,
    status: "ACCEPT",
  },
  {
    name: "COMPLETED(persisted) → FAILED",
    from: "COMPLETED",
    to: "FAILED",
    initialData: persisted,
    status: "ACCEPT",
  },
  {
    name: "COMPLETED(unpersisted) → RUNNING",
    from: "COMPLETED",
    to: "RUNNING",
    initialData: unpersisted,
    status: "ACCEPT",
  },
  {
    name: "COMPLETED(scalar) → RUNNING",
    from: "COMPLETED",
    to: "RUNNING",
    initialData: "a string",
    status: "ACCEPT",
  },
  {
    name: "COMPLETED(list) → COMPLETED(none)",
    from: "COMPLETED",
    to: "COMPLETED",
    initialData: [1, 2],
    status: "ACCEPT",
  },
  {
    name: "FAILED → SCHEDULED without deployment",
    from: "FAILED",
    to: "SCHEDULED",
    status: "ABORT",
    reason: "Cannot reschedule a run without an associated deployment.",
  },
  {
    name: "FAILED → SCHEDULED with deployment (manual retry)",
    from: "FAILED",
    to: "SCHEDULED",
    deploymentId: "dep-1",
    status: "ACCEPT",
  },
  { name: "CANCELLED → RUNNING", from: "CANCELLED", to: "RUNNING", status: "ACCEPT" },
  { name: "CRASHED → PENDING", from: "CRASHED", to: "PENDING", status: "ACCEPT" },
];

describe("HandleFlowTerminalStateTransitions", () => {
  it.each(cases)("$name → $status", async (c) => {
    const result = await runFlow({
      initial: makeState(c.from, { data: c.initialData ?? null }),
      proposed: makeState(c.to, { data: c.proposedData ?? null }),
      run: makeFlowRun({ deploymentId: c.deploymentId ?? null }),
      rules,
    });

    expect(result.status).toBe(c.status);
    if (c.reason !== undefined) {
      const type = c.status === "ABORT" ? "abort_details" : "reject_details";
      expect(result.details).toEqual({ type, reason: c.reason });
    }
  });

  it.each([
    { to: "SCHEDULED" as const, retryType: "reschedule" },
    { to: "RUNNING" as const, retryType: null },
  ])(
    "leaving a terminal state for $to resets pause bookkeeping, keeps run_count",
    async ({ to, retryType }) => {
      const run = makeFlowRun({
        deploymentId: "dep-1",
        runCount: 3,
        empiricalPolicy: {
          ...defaultFlowRunPolicy(),
          resuming: true,
          pauseKeys: ["k"],
          retryType: "in_process",
        },
      });

      await runFlow({ initial: makeState("FAILED"), proposed: makeState(to), run, rules });

      expect(run.empiricalPolicy).toMatchObject({ resuming: false, pauseKeys: [], retryType });
      expect(run.runCount).toBe(3);
    },
  );

  it("terminal → terminal leaves the policy alone", async () => {
    const run = makeFlowRun({ empiricalPolicy: { ...defaultFlowRunPolicy(), pauseKeys: ["k"] } });
    await runFlow({ initial: makeState("FAILED"), proposed: makeState("COMPLETED"), run, rules });
    expect(run.empiricalPolicy.pauseKeys).toEqual(["k"]);
  });

  it("restores the policy when a later rule fizzles it", async () => {
    const run = makeFlowRun({
      empiricalPolicy: {
        ...defaultFlowRunPolicy(),
        resuming: true,
        pauseKeys: ["k"],
        retryType: "in_process",
      },
    });

    const result = await runFlow({
      initial: makeState("FAILED"),
      proposed: makeState("RUNNING"),
      run,
      rules: [...rules, endingRule("AbortLater", { abort: "no" })],
    });

    expect(result.context.fizzledRules).toEqual(["HandleFlowTerminalStateTransitions"]);
    expect(run.empiricalPolicy).toEqual({
      ...defaultFlowRunPolicy(),
      resuming: true,
      pauseKeys: ["k"],
      retryType: "in_process",
    });
  });

  it("does not apply to non-terminal initial states", async () => {
    const result = await runFlow({
      initial: makeState("RUNNING"),
      proposed: makeState("CANCELLING"),
      rules,
    });
    expect(outcome(result)).toEqual({ status: "ACCEPT", details: { type: "accept_details" } });
  });
});
