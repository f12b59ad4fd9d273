/**
 * The decision a written state keeps (policy, rules fired and fizzled, rejection): computed
 * just before the write, it must agree with what the exits then actually do.
 */
import { describe, expect, it } from "vitest";
import { STATE_TYPES, type State, type StateType } from "../../../src/domain/index.ts";
import {
  CoreFlowPolicy,
  CoreTaskPolicy,
  flowRunPolicies,
  MinimalFlowPolicy,
  newState,
  stateTypes,
  taskRunPolicies,
} from "../../../src/orchestration/index.ts";
import { FakeFlowDeps, runFlow } from "../rules/support.ts";
import { FakeTaskDeps, FakeTaskStateWriter, runTask } from "../rules/task-support.ts";
import {
  defineRule,
  defineTransform,
  FakeStateWriter,
  makeState,
  runTransition,
} from "./support.ts";

describe("the decision written with a state", () => {
  it("names the policy, the rules that fired and the rules that fizzled", async () => {
    const log: string[] = [];
    const writer = new FakeStateWriter();
    const result = await runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      writer,
      rules: [
        defineRule("TakesASlot", log),
        defineRule("NeverApplies", log, { from: stateTypes("COMPLETED") }),
        defineRule("SendsItBack", log, {
          before: (api) => api.reject(makeState("SCHEDULED"), "Not yet."),
        }),
      ],
      transforms: [defineTransform("Bookkeeping", log)],
    });

    expect(writer.written).toHaveLength(1);
    expect(writer.written[0]!.type).toBe("SCHEDULED");
    expect(writer.written[0]!.decision).toEqual({
      policy: "TestPolicy",
      firedRules: ["TakesASlot", "SendsItBack"],
      fizzledRules: ["TakesASlot"],
      rejected: true,
      reason: "Not yet.",
    });
    // The prediction made before the write is what the exits then did.
    expect(result.context.fizzledRules).toEqual(["TakesASlot"]);
    expect(result.state?.decision).toEqual(writer.written[0]!.decision);
  });

  it("an accepted proposal keeps an accepting decision", async () => {
    const writer = new FakeStateWriter();
    await runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      writer,
      rules: [defineRule("Looks", [])],
    });
    expect(writer.written[0]!.decision).toEqual({
      policy: "TestPolicy",
      firedRules: ["Looks"],
      fizzledRules: [],
      rejected: false,
      reason: null,
    });
  });

  it("nothing is written, so nothing is decided, when a rule delays", async () => {
    const writer = new FakeStateWriter();
    const proposed = makeState("RUNNING");
    await runTransition({
      initial: makeState("PENDING"),
      proposed,
      writer,
      rules: [defineRule("Delays", [], { before: (api) => api.delay(5, "wait") })],
    });
    expect(writer.written).toEqual([]);
    expect(proposed.decision).toBeUndefined();
  });
});

const FROM: (StateType | null)[] = [null, ...STATE_TYPES];

interface Outcome {
  readonly written: readonly State[];
  readonly ruleSignature: readonly string[];
  readonly fizzledRules: readonly string[];
}

/**
 * Every (from, to) pair through `transition`, keeping those that wrote a state, and checks
 * that the decision written agrees with the rules the exits ran.
 */
async function expectDecisionsAgree(
  policy: { readonly name: string; readonly rules: readonly { readonly ruleName: string }[] },
  transition: (initial: State | null, to: StateType) => Promise<Outcome | null>,
): Promise<void> {
  const names = new Set(policy.rules.map((rule) => rule.ruleName));
  let compared = 0;
  for (const from of FROM) {
    for (const to of STATE_TYPES) {
      const outcome = await transition(from === null ? null : makeState(from), to);
      const decision = outcome?.written.at(-1)?.decision;
      if (outcome === null || decision == null) continue;
      compared += 1;
      expect(decision.policy, `${from} -> ${to}`).toBe(policy.name);
      expect(decision.firedRules).toEqual(outcome.ruleSignature.filter((n) => names.has(n)));
      expect(decision.fizzledRules).toEqual(outcome.fizzledRules);
    }
  }
  expect(compared).toBeGreaterThan(20);
}

describe.each([
  ["CoreFlowPolicy", CoreFlowPolicy, false],
  ["MinimalFlowPolicy (forced)", MinimalFlowPolicy, true],
] as const)("every flow transition through %s", (_name, policy, force) => {
  it("records the fired and fizzled rules the exits agree with", async () => {
    await expectDecisionsAgree(policy, async (initial, to) => {
      const deps = new FakeFlowDeps();
      const writer = new FakeStateWriter();
      try {
        const { context } = await runFlow({
          initial,
          proposed: newState(deps, { type: to }),
          deps,
          writer,
          policies: flowRunPolicies,
          policy: CoreFlowPolicy,
          force,
        });
        return { written: writer.written, ...context };
      } catch {
        return null; // a rule raised: nothing committed, nothing to compare
      }
    });
  });
});

describe("every task transition through CoreTaskPolicy", () => {
  it("records the fired and fizzled rules the exits agree with", async () => {
    await expectDecisionsAgree(CoreTaskPolicy, async (initial, to) => {
      const deps = new FakeTaskDeps();
      const writer = new FakeTaskStateWriter(deps);
      try {
        const { context } = await runTask({
          initial,
          proposed: newState(deps, { type: to }),
          deps,
          writer,
          policies: taskRunPolicies,
          policy: CoreTaskPolicy,
        });
        return { written: writer.written, ...context };
      } catch {
        return null;
      }
    });
  });
});
