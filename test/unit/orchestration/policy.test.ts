/**
 * Policies (spec §3 shape) and the policy choice of spec §2.2 / §2.9.
 */
import { describe, expect, it } from "vitest";
import type { FlowRun, Run, State, TaskRun } from "../../../src/domain/index.ts";
import {
  type CoreDeps,
  choosePolicy,
  type FlowOrchestrationDeps,
  OrchestrationRule,
  orchestrateTransition,
  Policy,
  type RunPolicies,
  stateTypes,
  type TransitionEnd,
  UniversalTransform,
} from "../../../src/orchestration/index.ts";
import {
  defineRule,
  defineTransform,
  FakeClock,
  FakeStateWriter,
  makeFlowRun,
  makeState,
  SequentialIds,
} from "./support.ts";

describe("Policy.compileTransitionRules", () => {
  const log: string[] = [];
  const first = defineRule("First", log, {
    from: stateTypes("PENDING"),
    to: stateTypes("RUNNING"),
  });
  const second = defineRule("Second", log);
  const third = defineRule("Third", log, {
    from: stateTypes(null, "SCHEDULED"),
    to: stateTypes("PENDING"),
  });
  const fourth = defineTransform("Fourth", log);
  const fifth = defineRule("Fifth", log, { to: stateTypes("RUNNING", null) });
  const policy = new Policy("OrderedPolicy", [first, second, third, fourth, fifth]);

  it("keeps priority order", () => {
    expect(policy.compileTransitionRules("PENDING", "RUNNING")).toEqual([
      first,
      second,
      fourth,
      fifth,
    ]);
  });

  it.each<[TransitionEnd, TransitionEnd, string[]]>([
    [null, "PENDING", ["Second", "Third", "Fourth"]],
    ["SCHEDULED", "PENDING", ["Second", "Third", "Fourth"]],
    ["RUNNING", null, ["Second", "Fourth", "Fifth"]],
    [null, null, ["Second", "Fourth", "Fifth"]],
    ["COMPLETED", "FAILED", ["Second", "Fourth"]],
  ])("compiles %s → %s by FROM/TO membership, null included", (from, to, names) => {
    expect(policy.compileTransitionRules(from, to).map((rule) => rule.ruleName)).toEqual(names);
  });

  it("is a frozen, named list", () => {
    expect(policy.name).toBe("OrderedPolicy");
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.rules)).toBe(true);
  });

  it("refuses a rule class without a name, since responses report names", () => {
    class Nameless extends OrchestrationRule<FlowRun, CoreDeps> {}
    expect(() => new Policy("Broken", [Nameless])).toThrow(TypeError);
  });

  it("a rule that forgets FROM_STATES/TO_STATES never applies", () => {
    class Forgetful extends OrchestrationRule<FlowRun, CoreDeps> {
      static override readonly ruleName = "Forgetful";
    }
    expect(new Policy("P", [Forgetful]).compileTransitionRules("PENDING", "RUNNING")).toEqual([]);
  });

  it("accepts rules written for any run and narrower deps (type-level)", () => {
    class GenericRule extends OrchestrationRule<Run, CoreDeps> {
      static override readonly ruleName = "GenericRule";
    }
    class GenericTransform extends UniversalTransform<Run, CoreDeps> {
      static override readonly ruleName = "GenericTransform";
    }
    const flowPolicy = new Policy<FlowRun, FlowOrchestrationDeps>("FlowPolicy", [
      GenericRule,
      GenericTransform,
    ]);
    const taskPolicy = new Policy<TaskRun, CoreDeps>("TaskPolicy", [GenericRule, GenericTransform]);
    expect(flowPolicy.rules).toHaveLength(2);
    expect(taskPolicy.rules).toHaveLength(2);
  });
});

describe("choosePolicy (the force path)", () => {
  const core = new Policy("CoreTaskPolicy", []);
  const minimal = new Policy("MinimalTaskPolicy", []);
  const background = new Policy("BackgroundTaskPolicy", []);
  const global = new Policy("GlobalTaskPolicy", []);
  const taskPolicies: RunPolicies = { global, minimal, deferred: background };
  const flowPolicies: RunPolicies = { global, minimal };
  const plain = () => makeState("RUNNING");
  const deferred = () => makeState("SCHEDULED", { stateDetails: { deferred: true } });

  it.each<[string, RunPolicies, boolean, Policy | null, () => State | null, Policy]>([
    ["requested policy when not forced", flowPolicies, false, core, plain, core],
    ["minimal policy when forced", flowPolicies, true, core, plain, minimal],
    ["minimal policy when none is requested", flowPolicies, false, null, plain, minimal],
    ["deferred policy for deferred proposals", taskPolicies, false, core, deferred, background],
    [
      "deferred policy for deferred proposals even when forced",
      taskPolicies,
      true,
      core,
      deferred,
      background,
    ],
    [
      "minimal policy for deferred proposals without a deferred policy",
      flowPolicies,
      true,
      core,
      deferred,
      minimal,
    ],
    [
      "requested policy for non-deferred proposals of a kind with a deferred policy",
      taskPolicies,
      false,
      core,
      plain,
      core,
    ],
    [
      "minimal policy for a nullified proposal when forced",
      taskPolicies,
      true,
      core,
      () => null,
      minimal,
    ],
  ])("picks the %s", (_name, policies, force, requested, proposed, expected) => {
    expect(choosePolicy(policies, { force, requested, proposedState: proposed() })).toBe(expected);
  });

  it("forced transitions run the minimal policy and still the full global policy", async () => {
    const log: string[] = [];
    const policies: RunPolicies<FlowRun, CoreDeps> = {
      global: new Policy("GlobalFlowPolicy", [defineTransform("SetRunStateType", log)]),
      minimal: new Policy("MinimalFlowPolicy", [defineRule("PreventResultDataLoss", log)]),
    };
    const requested = new Policy("CoreFlowPolicy", [defineRule("PreventPendingTransitions", log)]);

    const result = await orchestrateTransition({
      run: makeFlowRun(),
      initialState: makeState("PENDING"),
      proposedState: makeState("RUNNING"),
      policies,
      policy: requested,
      force: true,
      deps: { clock: new FakeClock(), ids: new SequentialIds() },
      stateWriter: new FakeStateWriter(),
    });

    expect(result.context.policyName).toBe("MinimalFlowPolicy");
    expect(result.context.ruleSignature).toEqual(["PreventResultDataLoss", "SetRunStateType"]);
    expect(log).not.toContain("PreventPendingTransitions.before");
  });
});
