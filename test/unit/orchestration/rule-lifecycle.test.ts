/**
 * The rule lifecycle of spec §2.3: which hook a rule runs on entry and exit, depending on
 * whether it was valid on entry and whether the transition changed type behind its back.
 */
import { describe, expect, it } from "vitest";
import type { StateType } from "../../../src/domain/index.ts";
import { stateTypes, type TransitionEnd } from "../../../src/orchestration/index.ts";
import { defineRule, makeState, runTransition } from "./support.ts";

function stateOrNull(type: TransitionEnd) {
  return type === null ? null : makeState(type);
}

describe("rule lifecycle", () => {
  it("valid rules fire before and after", async () => {
    const log: string[] = [];
    const rule = defineRule("Valid", log, {
      from: stateTypes("PENDING"),
      to: stateTypes("RUNNING"),
    });

    const result = await runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      rules: [rule],
    });

    expect(log).toEqual(["Valid.before", "Valid.after"]);
    expect(result.context.ruleSignature).toEqual(["Valid"]);
    expect(result.context.finalizationSignature).toEqual(["Valid"]);
    expect(result.context.fizzledRules).toEqual([]);
  });

  it.each<[string, TransitionEnd, TransitionEnd]>([
    ["from-state outside FROM_STATES", "SCHEDULED", "RUNNING"],
    ["to-state outside TO_STATES", "PENDING", "COMPLETED"],
    ["no initial state while null is not in FROM_STATES", null, "RUNNING"],
    ["nullified proposal while null is not in TO_STATES", "PENDING", null],
  ])("invalid rules are no-ops: %s", async (_name, from, to) => {
    const log: string[] = [];
    const rule = defineRule("OnlyPendingToRunning", log, {
      from: stateTypes("PENDING"),
      to: stateTypes("RUNNING"),
    });

    const result = await runTransition({
      initial: stateOrNull(from),
      proposed: stateOrNull(to),
      rules: [rule],
    });

    expect(log).toEqual([]);
    expect(result.context.ruleSignature).toEqual([]);
    expect(result.context.finalizationSignature).toEqual([]);
  });

  it("null is a legitimate member of FROM_STATES and TO_STATES", async () => {
    const log: string[] = [];
    const rule = defineRule("FromNothing", log, {
      from: stateTypes(null),
      to: stateTypes("PENDING"),
    });

    await runTransition({ initial: null, proposed: makeState("PENDING"), rules: [rule] });

    expect(log).toEqual(["FromNothing.before", "FromNothing.after"]);
  });

  it("rules entered after a type change are invalid", async () => {
    const log: string[] = [];
    const rejecter = defineRule("Rejecter", log, {
      before: (api) => api.reject(makeState("FAILED"), "no"),
    });
    const later = defineRule("Later", log);

    await runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      rules: [rejecter, later],
    });

    expect(log).toEqual(["Rejecter.before", "Rejecter.after"]);
  });

  it("once invalid, always invalid: a rule invalid on entry stays silent when the types change back", async () => {
    const log: string[] = [];
    const toFailed = defineRule("ToFailed", log, {
      before: (api) => api.reject(makeState("FAILED"), "first"),
    });
    const bystander = defineRule("Bystander", log);
    const backToRunning = defineRule("BackToRunning", log, {
      from: stateTypes("PENDING"),
      to: stateTypes("FAILED", "RUNNING"),
      before: (api) => api.reject(makeState("RUNNING"), "second"),
    });

    await runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      rules: [toFailed, bystander, backToRunning],
    });

    // Bystander saw FAILED on entry (≠ RUNNING): invalid, although the types match its
    // intended transition again at exit. BackToRunning is invalid too: it was compiled for
    // PENDING → RUNNING but entered with FAILED proposed.
    expect(log).toEqual(["ToFailed.before", "ToFailed.after"]);
  });

  it.each<[string, (api: import("./support.ts").RuleApi) => void]>([
    ["rejects into another type", (api) => api.reject(makeState("FAILED"), "rejected")],
    ["rejects to no state", (api) => api.reject(null, "rejected")],
    ["delays", (api) => api.delay(10, "later")],
    ["aborts", (api) => api.abort("stop")],
  ])("earlier rules fizzle and run cleanup when a later rule %s", async (_name, act) => {
    const log: string[] = [];
    const first = defineRule("First", log);
    const second = defineRule("Second", log);
    const changer = defineRule("Changer", log, { before: act });

    const result = await runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      rules: [first, second, changer],
    });

    expect(log).toEqual([
      "First.before",
      "Second.before",
      "Changer.before",
      "Changer.after",
      "Second.cleanup",
      "First.cleanup",
    ]);
    expect(result.context.fizzledRules).toEqual(["Second", "First"]);
    expect(result.context.finalizationSignature).toEqual(["Changer"]);
  });

  it.each<[string, (api: import("./support.ts").RuleApi) => void]>([
    ["rejecting into another type", (api) => api.reject(makeState("FAILED"), "rejected")],
    ["rejecting to no state", (api) => api.reject(null, "rejected")],
    ["delaying", (api) => api.delay(10, "later")],
    ["aborting", (api) => api.abort("stop")],
  ])("a rule that mutates itself by %s does not fizzle", async (_name, act) => {
    const log: string[] = [];
    const mutator = defineRule("Mutator", log, { before: act });

    await runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      rules: [mutator],
    });

    expect(log).toEqual(["Mutator.before", "Mutator.after"]);
  });

  it.each<[string, (api: import("./support.ts").RuleApi) => void]>([
    ["rejects into a type outside its TO_STATES", (api) => api.reject(makeState("FAILED"), "no")],
    ["rejects to no state while null is not in its TO_STATES", (api) => api.reject(null, "no")],
    ["delays while null is not in its TO_STATES", (api) => api.delay(5, "wait")],
    ["aborts while null is not in its TO_STATES", (api) => api.abort("stop")],
  ])("a rule that %s runs neither after-hook nor cleanup", async (_name, act) => {
    const log: string[] = [];
    const narrow = defineRule("Narrow", log, {
      to: stateTypes("RUNNING"),
      before: act,
    });

    const result = await runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      rules: [narrow],
    });

    expect(log).toEqual(["Narrow.before"]);
    expect(result.context.finalizationSignature).toEqual([]);
    expect(result.context.fizzledRules).toEqual([]);
  });

  it("a rule whose TO_STATES include the rejected type runs its after-hook after its own rejection", async () => {
    const log: string[] = [];
    const wide = defineRule("Wide", log, {
      from: stateTypes("PAUSED"),
      to: stateTypes("RUNNING", "FAILED", null),
      before: (api) => api.reject(null, "cannot resume"),
    });

    await runTransition({
      initial: makeState("PAUSED"),
      proposed: makeState("RUNNING"),
      rules: [wide],
    });

    expect(log).toEqual(["Wide.before", "Wide.after"]);
  });

  it("renames never fizzle", async () => {
    const log: string[] = [];
    const first = defineRule("First", log);
    const renamer = defineRule("Renamer", log, { before: (api) => api.rename("Retrying") });
    const later = defineRule("Later", log);

    const result = await runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      rules: [first, renamer, later],
    });

    expect(log).toEqual([
      "First.before",
      "Renamer.before",
      "Later.before",
      "Later.after",
      "Renamer.after",
      "First.after",
    ]);
    expect(result.state?.name).toBe("Retrying");
  });

  it("rejecting into a state of the same type fizzles nothing", async () => {
    const log: string[] = [];
    const first = defineRule("First", log);
    const sameType = defineRule("SameType", log, {
      before: (api, _initial, proposed) => api.reject(proposed, "kept, but flagged"),
    });
    const later = defineRule("Later", log);

    const result = await runTransition({
      initial: makeState("RUNNING"),
      proposed: makeState("COMPLETED"),
      rules: [first, sameType, later],
    });

    expect(log).toEqual([
      "First.before",
      "SameType.before",
      "Later.before",
      "Later.after",
      "SameType.after",
      "First.after",
    ]);
    expect(result.status).toBe("REJECT");
    expect(result.state?.type).toBe("COMPLETED");
  });

  it("a transition that changes only names keeps every rule valid, whatever the intended types", async () => {
    const log: string[] = [];
    const types: StateType[] = ["SCHEDULED", "PENDING"];
    const rule = defineRule("Any", log, { from: stateTypes(...types) });

    await runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("PENDING", { name: "Submitting" }),
      rules: [rule],
    });

    expect(log).toEqual(["Any.before", "Any.after"]);
  });
});
