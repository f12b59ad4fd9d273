/**
 * Sketches of real rules from spec §4 written against the base classes, to show the bases
 * carry them: a generic rule reading the clock through `context.deps` and delaying with an
 * exact number of seconds, a rule writing shared state details, a universal transform
 * writing the run, and a cleanup that edits only the validated copy. The real rules live in
 * src/orchestration/rules/; these are trimmed to what the engine has to support.
 */
import { describe, expect, it } from "vitest";
import type { Run, State } from "../../../src/domain/index.ts";
import {
  type CoreDeps,
  type OrchestrationContext,
  OrchestrationRule,
  stateTypes,
  UniversalTransform,
} from "../../../src/orchestration/index.ts";
import { makeFlowRun, makeState, runTransition, T0 } from "./support.ts";

class WaitForScheduledTime extends OrchestrationRule<Run, CoreDeps> {
  static override readonly ruleName = "WaitForScheduledTime";
  static override readonly FROM_STATES = stateTypes("SCHEDULED", "PENDING");
  static override readonly TO_STATES = stateTypes("RUNNING");

  protected override async beforeTransition(
    initial: State | null,
    _proposed: State | null,
    context: OrchestrationContext<Run, CoreDeps>,
  ): Promise<void> {
    const scheduled = initial?.stateDetails.scheduledTime;
    if (!scheduled) return;
    const seconds = (scheduled.getTime() - context.deps.clock.now().getTime()) / 1000;
    const whole = Math.floor(seconds);
    const delay = whole + (seconds - whole > 0.5 ? 1 : 0);
    if (delay > 0) this.delayTransition(delay, "Scheduled time is in the future");
  }
}

class CopyScheduledTime extends OrchestrationRule<Run, CoreDeps> {
  static override readonly ruleName = "CopyScheduledTime";
  static override readonly FROM_STATES = stateTypes("SCHEDULED");
  static override readonly TO_STATES = stateTypes("PENDING");

  protected override async beforeTransition(initial: State | null, proposed: State | null) {
    if (initial && proposed && !proposed.stateDetails.scheduledTime) {
      proposed.stateDetails.scheduledTime = initial.stateDetails.scheduledTime ?? null;
    }
  }
}

class SetRunStateType extends UniversalTransform<Run, CoreDeps> {
  static override readonly ruleName = "SetRunStateType";

  protected override async beforeTransition(context: OrchestrationContext<Run, CoreDeps>) {
    if (this.isNullified()) return;
    context.run.stateType = context.proposedState?.type ?? null;
  }
}

class HoldsALease extends OrchestrationRule<Run, CoreDeps> {
  static override readonly ruleName = "HoldsALease";
  static override readonly FROM_STATES = stateTypes("SCHEDULED");
  static override readonly TO_STATES = stateTypes("PENDING");

  protected override async beforeTransition(_initial: State | null, proposed: State | null) {
    if (proposed) proposed.stateDetails.deploymentConcurrencyLeaseId = "lease-2";
  }

  protected override async cleanup(_initial: State | null, validated: State | null) {
    if (validated) validated.stateDetails.deploymentConcurrencyLeaseId = null;
  }
}

class AbortAll extends OrchestrationRule<Run, CoreDeps> {
  static override readonly ruleName = "AbortAll";
  static override readonly FROM_STATES = stateTypes("SCHEDULED");
  static override readonly TO_STATES = stateTypes("PENDING");

  protected override async beforeTransition() {
    this.abortTransition("stop");
  }
}

describe("rule shapes", () => {
  it.each([
    [300_000, 300],
    [1_500, 1],
    [1_501, 2],
    [500, 0],
    [-60_000, 0],
  ])(
    "WaitForScheduledTime with the scheduled time %i ms ahead waits %i s",
    async (aheadMs, delay) => {
      const initial = makeState("SCHEDULED", {
        stateDetails: { scheduledTime: new Date(T0.getTime() + aheadMs) },
      });

      const result = await runTransition({
        initial,
        proposed: makeState("RUNNING"),
        rules: [WaitForScheduledTime],
      });

      if (delay > 0) {
        expect(result.status).toBe("WAIT");
        expect(result.details).toEqual({
          type: "wait_details",
          delaySeconds: delay,
          reason: "Scheduled time is in the future",
        });
      } else {
        expect(result.status).toBe("ACCEPT");
      }
    },
  );

  it("CopyScheduledTime writes through the shared details; SetRunStateType writes the run", async () => {
    const run = makeFlowRun();
    const scheduledTime = new Date("2026-08-21T13:00:00Z");

    const result = await runTransition({
      initial: makeState("SCHEDULED", { stateDetails: { scheduledTime } }),
      proposed: makeState("PENDING"),
      rules: [CopyScheduledTime],
      transforms: [SetRunStateType],
      run,
    });

    expect(result.state?.stateDetails.scheduledTime).toEqual(scheduledTime);
    expect(run.stateType).toBe("PENDING");
  });

  it("a fizzled rule's cleanup edits the validated copy, never the run's initial state", async () => {
    const initial = makeState("SCHEDULED", {
      stateDetails: { deploymentConcurrencyLeaseId: "lease-1" },
    });

    const result = await runTransition({
      initial,
      proposed: makeState("PENDING"),
      rules: [HoldsALease, AbortAll],
    });

    expect(result.status).toBe("ABORT");
    expect(result.state?.stateDetails.deploymentConcurrencyLeaseId).toBeNull();
    expect(initial.stateDetails.deploymentConcurrencyLeaseId).toBe("lease-1");
    expect(result.context.fizzledRules).toEqual(["HoldsALease"]);
  });
});
