import { describe, expect, it } from "vitest";
import {
  InstrumentFlowRunStateTransitions,
  RetryFailedFlows,
  truncated,
} from "../../../src/orchestration/index.ts";
import { at, endingRule, FakeFlowDeps, makeFlowRun, makeState, runFlow, T0 } from "./support.ts";

const transforms = [InstrumentFlowRunStateTransitions];

describe("InstrumentFlowRunStateTransitions", () => {
  it("appends one event for an accepted state", async () => {
    const deps = new FakeFlowDeps();
    deps.relatedResources.related = [
      { "prefect.resource.id": "prefect.flow.flow-1", "prefect.resource.role": "flow" },
    ];
    const initial = makeState("PENDING");
    const proposed = makeState("RUNNING", { message: "go" });

    await runFlow({ initial, proposed, run: makeFlowRun({ runCount: 1 }), deps, transforms });

    expect(deps.events.events).toEqual([
      {
        event: "prefect.flow-run.Running",
        id: proposed.id,
        occurred: T0,
        follows: initial.id,
        resource: {
          "prefect.resource.id": "prefect.flow-run.flow-run-1",
          "prefect.resource.name": "graceful-otter",
          "prefect.run-count": "1",
          "prefect.state-message": "go",
          "prefect.state-name": "Running",
          "prefect.state-timestamp": "2026-08-21T12:00:00.000Z",
          "prefect.state-type": "RUNNING",
        },
        related: [
          { "prefect.resource.id": "prefect.flow.flow-1", "prefect.resource.role": "flow" },
        ],
        payload: {
          intended: { from: "PENDING", to: "RUNNING" },
          initial_state: { type: "PENDING", name: "Pending" },
          validated_state: { type: "RUNNING", name: "Running", message: "go" },
        },
      },
    ]);
  });

  it("names the event after the state actually written (a rejection into a new state)", async () => {
    const deps = new FakeFlowDeps();
    await runFlow({
      initial: makeState("RUNNING"),
      proposed: makeState("FAILED"),
      run: makeFlowRun({
        runCount: 1,
        empiricalPolicy: {
          retries: 1,
          retryDelay: 0,
          pauseKeys: [],
          resuming: false,
          retryType: null,
        },
      }),
      deps,
      rules: [RetryFailedFlows],
      transforms,
    });
    expect(deps.events.events.map((e) => e.event)).toEqual(["prefect.flow-run.AwaitingRetry"]);
    expect(deps.events.events[0]?.payload).toMatchObject({
      intended: { from: "RUNNING", to: "SCHEDULED" },
    });
  });

  it("paused states report pause_reschedule; no initial state means no follows", async () => {
    const deps = new FakeFlowDeps();
    await runFlow({
      initial: null,
      proposed: makeState("PAUSED", { name: "Suspended", stateDetails: { pauseReschedule: true } }),
      deps,
      transforms,
    });
    expect(deps.events.events[0]).toMatchObject({
      follows: null,
      payload: {
        intended: { from: null, to: "PAUSED" },
        initial_state: null,
        validated_state: { type: "PAUSED", name: "Suspended", pause_reschedule: "true" },
      },
    });
  });

  it("follows the initial state only within 5 minutes", async () => {
    const deps = new FakeFlowDeps();
    const initial = { ...makeState("PENDING"), timestamp: at(-300) };
    await runFlow({ initial, proposed: makeState("RUNNING"), deps, transforms });
    expect(deps.events.events[0]?.follows).toBeNull();
  });

  it.each([
    { name: "WAIT", end: { delay: 5, reason: "later" } },
    { name: "ABORT", end: { abort: "no" } },
  ])("emits nothing on $name", async ({ end }) => {
    const deps = new FakeFlowDeps();
    await runFlow({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      deps,
      rules: [endingRule("End", end)],
      transforms,
    });
    expect(deps.events.events).toEqual([]);
  });

  it("truncates long messages like Prefect's truncated_to", () => {
    expect(truncated(10, "x".repeat(10))).toBe("x".repeat(10));
    expect(truncated(10, `${"a".repeat(5)}${"m".repeat(100)}${"z".repeat(5)}`)).toBe(
      "aaaaa...100 additional characters...zzzzz",
    );
    // Not shorter than the original: kept as is.
    expect(truncated(10, "x".repeat(40))).toBe("x".repeat(40));
    expect(truncated(10, "x".repeat(20))).toBe("x".repeat(20));
    expect(truncated(10, null)).toBe("");
  });
});
