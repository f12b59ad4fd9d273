/**
 * The task policies list the spec's rules (§3) in the spec's order, minus the preface's
 * "Drop" items (ClientSideTaskOrchestrationPolicy), plus flowgate's additions
 * (PreventDuplicateTransitions for idempotent replays, EnsureTaskRunStateTimestampIsUnique
 * for Fix §8.2.5), and are selected as spec §2.2 says.
 */
import { describe, expect, it } from "vitest";
import {
  BackgroundTaskPolicy,
  CoreTaskPolicy,
  choosePolicy,
  defaultTaskPolicy,
  GlobalTaskPolicy,
  MinimalTaskPolicy,
  taskPoliciesByName,
  taskRunPolicies,
} from "../../../src/orchestration/index.ts";
import { makeState } from "../rules/support.ts";

function names(policy: { readonly rules: readonly { readonly ruleName: string }[] }): string[] {
  return policy.rules.map((rule) => rule.ruleName);
}

describe("task policies", () => {
  it("CoreTaskPolicy: spec §3 order, after PreventDuplicateTransitions", () => {
    expect(CoreTaskPolicy.name).toBe("CoreTaskPolicy");
    expect(names(CoreTaskPolicy)).toEqual([
      "PreventDuplicateTransitions",
      "CacheRetrieval",
      "HandleTaskTerminalStateTransitions",
      "PreventRunningTasksFromStoppedFlows",
      "SecureTaskConcurrencySlots",
      "CopyScheduledTime",
      "WaitForScheduledTime",
      "RetryFailedTasks",
      "RenameReruns",
      "UpdateFlowRunTrackerOnTasks",
      "CacheInsertion",
      "ReleaseTaskConcurrencySlots",
    ]);
  });

  it("BackgroundTaskPolicy: spec §3 order, after PreventDuplicateTransitions", () => {
    expect(BackgroundTaskPolicy.name).toBe("BackgroundTaskPolicy");
    expect(names(BackgroundTaskPolicy)).toEqual([
      "PreventDuplicateTransitions",
      "PreventPendingTransitions",
      "CacheRetrieval",
      "HandleTaskTerminalStateTransitions",
      "CopyScheduledTime",
      "CopyTaskParametersID",
      "WaitForScheduledTime",
      "RetryFailedTasks",
      "RenameReruns",
      "UpdateFlowRunTrackerOnTasks",
      "CacheInsertion",
      "ReleaseTaskConcurrencySlots",
      "EnqueueScheduledTasks",
    ]);
  });

  it("MinimalTaskPolicy", () => {
    expect(MinimalTaskPolicy.name).toBe("MinimalTaskPolicy");
    expect(names(MinimalTaskPolicy)).toEqual(["ReleaseTaskConcurrencySlots"]);
  });

  it("GlobalTaskPolicy: §8.2.5 timestamps made unique first, then spec §3 order", () => {
    expect(GlobalTaskPolicy.name).toBe("GlobalTaskPolicy");
    expect(names(GlobalTaskPolicy)).toEqual([
      "EnsureTaskRunStateTimestampIsUnique",
      "SetRunStateType",
      "SetRunStateName",
      "SetRunStateTimestamp",
      "SetStartTime",
      "SetEndTime",
      "IncrementRunTime",
      "SetExpectedStartTime",
      "SetNextScheduledStartTime",
      "UpdateStateDetails",
      "IncrementTaskRunCount",
    ]);
  });

  it("taskRunPolicies registers global, minimal and deferred; named policies resolve", () => {
    expect(taskRunPolicies.global).toBe(GlobalTaskPolicy);
    expect(taskRunPolicies.minimal).toBe(MinimalTaskPolicy);
    expect(taskRunPolicies.deferred).toBe(BackgroundTaskPolicy);
    expect(defaultTaskPolicy).toBe(CoreTaskPolicy);
    expect(Object.keys(taskPoliciesByName).sort()).toEqual([
      "BackgroundTaskPolicy",
      "CoreTaskPolicy",
      "MinimalTaskPolicy",
    ]);
  });

  it.each([
    {
      name: "a plain proposal → CoreTaskPolicy",
      force: false,
      deferred: false,
      expected: "CoreTaskPolicy",
    },
    {
      name: "force → MinimalTaskPolicy",
      force: true,
      deferred: false,
      expected: "MinimalTaskPolicy",
    },
    {
      name: "deferred → BackgroundTaskPolicy",
      force: false,
      deferred: true,
      expected: "BackgroundTaskPolicy",
    },
    {
      name: "deferred with force → BackgroundTaskPolicy",
      force: true,
      deferred: true,
      expected: "BackgroundTaskPolicy",
    },
  ])("$name", ({ force, deferred, expected }) => {
    const policy = choosePolicy(taskRunPolicies, {
      force,
      requested: CoreTaskPolicy,
      proposedState: makeState("SCHEDULED", { stateDetails: { deferred } }),
    });
    expect(policy.name).toBe(expected);
  });
});
