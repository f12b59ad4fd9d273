import { describe, expect, it } from "vitest";
import type { StateType } from "../../../src/domain/index.ts";
import { PreventRunningTasksFromStoppedFlows } from "../../../src/orchestration/index.ts";
import { at, makeState } from "./support.ts";
import { FakeTaskDeps, makeTaskRun, runTask } from "./task-support.ts";

const rules = [PreventRunningTasksFromStoppedFlows];
const MUST_RUN = "The enclosing flow must be running to begin task execution.";

function withFlowState(type: StateType | null, details = {}) {
  const deps = new FakeTaskDeps();
  deps.flowRuns.set(type && makeState(type, { stateDetails: details }));
  return deps;
}

describe("PreventRunningTasksFromStoppedFlows", () => {
  it("PENDING → RUNNING in a RUNNING flow → ACCEPT", async () => {
    const result = await runTask({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      deps: withFlowState("RUNNING"),
      rules,
    });
    expect(result.status).toBe("ACCEPT");
  });

  it.each<StateType | null>([
    null,
    "PENDING",
    "SCHEDULED",
    "CANCELLING",
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "CRASHED",
  ])("PENDING → RUNNING in a flow whose state is %s → ABORT", async (flowType) => {
    const result = await runTask({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      deps: withFlowState(flowType),
      rules,
    });
    expect(result.status).toBe("ABORT");
    expect(result.details).toEqual({ type: "abort_details", reason: MUST_RUN });
  });

  it("PENDING → RUNNING in a PAUSED flow → REJECT into a new PAUSED 'NotReady'", async () => {
    const deps = withFlowState("PAUSED", {
      pauseTimeout: at(3600),
      pauseReschedule: true,
      pauseKey: "k",
    });
    const flowStateId = deps.flowRuns.rows.get("flow-run-1")?.state?.id;
    const result = await runTask({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      deps,
      rules,
    });
    expect(result.status).toBe("REJECT");
    expect(result.details).toEqual({
      type: "reject_details",
      reason: "The flow is paused, new tasks can execute after resuming flow run: flow-run-1.",
    });
    expect(result.state).toMatchObject({
      type: "PAUSED",
      name: "NotReady",
      stateDetails: { pauseTimeout: at(3600), pauseReschedule: true, pauseKey: null },
    });
    expect(result.state?.id).not.toBe(flowStateId);
  });

  it.each([
    { name: "an autonomous task", flowRunId: null },
    { name: "a task whose flow run is gone", flowRunId: "deleted" },
  ])("$name may run", async ({ flowRunId }) => {
    const result = await runTask({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      run: makeTaskRun({ flowRunId }),
      rules,
    });
    expect(result.status).toBe("ACCEPT");
  });
});
