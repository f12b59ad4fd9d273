/**
 * The flow policies list exactly the spec's rules (§3) in the spec's order, minus the
 * preface's "Drop" items, and are selectable by name.
 */
import { describe, expect, it } from "vitest";
import {
  CoreFlowPolicy,
  CreateFlowRunPolicy,
  flowPoliciesByName,
  flowRunPolicies,
  GlobalFlowPolicy,
  MarkLateRunsPolicy,
  MinimalFlowPolicy,
} from "../../../src/orchestration/index.ts";

function names(policy: { readonly rules: readonly { readonly ruleName: string }[] }): string[] {
  return policy.rules.map((rule) => rule.ruleName);
}

describe("flow policies", () => {
  it("CoreFlowPolicy: spec §3 order, without RemoveDeploymentConcurrencyLeaseForOldClientVersions, plus the strict-mode rule", () => {
    expect(CoreFlowPolicy.name).toBe("CoreFlowPolicy");
    expect(names(CoreFlowPolicy)).toEqual([
      "PreserveDeploymentConcurrencyLeaseId",
      "PreventDuplicateTransitions",
      "HandleFlowTerminalStateTransitions",
      "EnforceCancellingToCancelledTransition",
      "BypassCancellingFlowRunsWithNoInfra",
      "PreventPendingTransitions",
      "ValidateDeploymentConcurrencyAtRunning",
      "SecureFlowConcurrencySlots",
      // flowgate's own; applies only with FLOWGATE_STRICT_DEPLOYMENT_LIMITS.
      "SecureFlowConcurrencySlotsStrictly",
      "EnsureOnlyScheduledFlowsMarkedLate",
      "HandlePausingFlows",
      "HandleResumingPausedFlows",
      "CopyScheduledTime",
      "WaitForScheduledTime",
      "RetryFailedFlows",
      "InstrumentFlowRunStateTransitions",
      "ReleaseFlowConcurrencySlots",
    ]);
  });

  it("MinimalFlowPolicy", () => {
    expect(MinimalFlowPolicy.name).toBe("MinimalFlowPolicy");
    expect(names(MinimalFlowPolicy)).toEqual([
      "PreventResultDataLoss",
      "BypassCancellingFlowRunsWithNoInfra",
      "InstrumentFlowRunStateTransitions",
      "ReleaseFlowConcurrencySlots",
    ]);
  });

  it("CreateFlowRunPolicy: MinimalFlowPolicy plus the strict-mode rule", () => {
    expect(CreateFlowRunPolicy.name).toBe("CreateFlowRunPolicy");
    expect(names(CreateFlowRunPolicy)).toEqual([
      "PreventResultDataLoss",
      "BypassCancellingFlowRunsWithNoInfra",
      "SecureFlowConcurrencySlotsStrictly",
      "InstrumentFlowRunStateTransitions",
      "ReleaseFlowConcurrencySlots",
    ]);
  });

  it("MarkLateRunsPolicy", () => {
    expect(MarkLateRunsPolicy.name).toBe("MarkLateRunsPolicy");
    expect(names(MarkLateRunsPolicy)).toEqual([
      "EnsureOnlyScheduledFlowsMarkedLate",
      "EnforceDeploymentConcurrencyOnLate",
      "InstrumentFlowRunStateTransitions",
    ]);
  });

  it("GlobalFlowPolicy", () => {
    expect(GlobalFlowPolicy.name).toBe("GlobalFlowPolicy");
    expect(names(GlobalFlowPolicy)).toEqual([
      "EnsureFlowRunStateTimestampIsUnique",
      "SetRunStateType",
      "SetRunStateName",
      "SetRunStateTimestamp",
      "SetStartTime",
      "SetEndTime",
      "IncrementRunTime",
      "SetExpectedStartTime",
      "SetNextScheduledStartTime",
      "UpdateStateDetails",
      "UpdateSubflowParentTask",
      "UpdateSubflowStateDetails",
      "IncrementFlowRunCount",
      "RemoveResumingIndicator",
    ]);
  });

  it("flowRunPolicies registers the global and minimal policies; named policies resolve", () => {
    expect(flowRunPolicies.global).toBe(GlobalFlowPolicy);
    expect(flowRunPolicies.minimal).toBe(MinimalFlowPolicy);
    expect(flowRunPolicies.deferred).toBeUndefined();
    expect(Object.keys(flowPoliciesByName).sort()).toEqual([
      "CoreFlowPolicy",
      "MarkLateRunsPolicy",
      "MinimalFlowPolicy",
    ]);
    expect(flowPoliciesByName.CoreFlowPolicy).toBe(CoreFlowPolicy);
  });
});
