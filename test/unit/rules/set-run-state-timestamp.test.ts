import { describe, expect, it } from "vitest";
import { RetryFailedFlows, SetRunStateTimestamp } from "../../../src/orchestration/index.ts";
import {
  at,
  defaultPolicyWithRetries,
  endingRule,
  makeFlowRun,
  makeState,
  runFlow,
} from "./support.ts";

const transforms = [SetRunStateTimestamp];

describe("SetRunStateTimestamp", () => {
  it.each([
    { name: "PENDING → RUNNING", proposed: () => makeState("RUNNING", { name: "Rerunning" }) },
    {
      name: "null → SCHEDULED",
      proposed: () => ({ ...makeState("SCHEDULED", { name: "Late" }), timestamp: at(7) }),
    },
  ])("copies the accepted proposal's timestamp onto the run: $name", async ({ proposed }) => {
    const run = makeFlowRun();
    const state = proposed();
    await runFlow({ initial: makeState("PENDING"), proposed: state, run, transforms });
    expect(run.stateTimestamp).toEqual(state.timestamp);
  });

  it("copies the final proposal after a rejection into a new state", async () => {
    const run = makeFlowRun({ runCount: 1, empiricalPolicy: defaultPolicyWithRetries(1) });
    const result = await runFlow({
      initial: makeState("RUNNING"),
      proposed: makeState("FAILED"),
      run,
      rules: [RetryFailedFlows],
      transforms,
    });
    expect(run.stateTimestamp).toEqual(result.state?.timestamp);
  });

  it("leaves the run alone on a nullified transition", async () => {
    const run = makeFlowRun();
    await runFlow({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      run,
      rules: [endingRule("Stop", { abort: "stop" })],
      transforms,
    });
    expect(run.stateTimestamp).toBeNull();
  });
});
