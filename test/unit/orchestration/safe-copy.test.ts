/**
 * The safe copy of spec §2.6: rule hooks may not change state scalars or parameters of the
 * real context through their copy, but they do share state details, data and the run.
 */
import { describe, expect, it } from "vitest";
import type { State } from "../../../src/domain/index.ts";
import { OrchestrationContext } from "../../../src/orchestration/index.ts";
import {
  defineRule,
  FakeClock,
  makeFlowRun,
  makeState,
  runTransition,
  SequentialIds,
} from "./support.ts";

function makeContext() {
  return new OrchestrationContext({
    run: makeFlowRun(),
    deps: { clock: new FakeClock(), ids: new SequentialIds() },
    initialState: makeState("PENDING", { data: { type: "reference", key: "a" } }),
    proposedState: makeState("RUNNING", { message: "go" }),
    parameters: { a: 1 },
  });
}

describe("safe copy", () => {
  it.each<[keyof State, (state: State) => void]>([
    ["type", (s) => (s.type = "FAILED")],
    ["name", (s) => (s.name = "Changed")],
    ["message", (s) => (s.message = "changed")],
    ["timestamp", (s) => (s.timestamp = new Date(0))],
    ["id", (s) => (s.id = "other")],
  ])("context is protected from mutation: proposed %s", async (field, mutate) => {
    const proposed = makeState("RUNNING", { message: "original" });
    const before = proposed[field];
    const rule = defineRule("Meddler", [], { before: (_api, _i, p) => p && mutate(p) });

    const result = await runTransition({ initial: makeState("PENDING"), proposed, rules: [rule] });

    expect(proposed[field]).toEqual(before);
    expect(result.state?.[field]).toEqual(before);
    expect(result.status).toBe("ACCEPT");
  });

  it("context is protected from mutation: initial state scalars and parameters", async () => {
    const initial = makeState("PENDING");
    const rule = defineRule("Meddler", [], {
      before: (_api, i, _p, ctx) => {
        if (i) i.type = "CRASHED";
        ctx.parameters.sneaky = true;
        ctx.proposedState = null;
      },
    });

    const result = await runTransition({ initial, proposed: makeState("RUNNING"), rules: [rule] });

    expect(initial.type).toBe("PENDING");
    expect(result.context.parameters).toEqual({});
    expect(result.state?.type).toBe("RUNNING");
  });

  it("state details are shared: writing them through the copy changes the real proposal", async () => {
    const initial = makeState("SCHEDULED", {
      stateDetails: { scheduledTime: new Date("2026-08-21T13:00:00Z") },
    });
    const proposed = makeState("PENDING");
    const copyScheduledTime = defineRule("CopyScheduledTime", [], {
      before: (_api, i, p) => {
        if (p && i && !p.stateDetails.scheduledTime)
          p.stateDetails.scheduledTime = i.stateDetails.scheduledTime ?? null;
      },
    });

    const result = await runTransition({ initial, proposed, rules: [copyScheduledTime] });

    expect(proposed.stateDetails.scheduledTime).toEqual(new Date("2026-08-21T13:00:00Z"));
    expect(result.state?.stateDetails.scheduledTime).toEqual(new Date("2026-08-21T13:00:00Z"));
  });

  it("data is shared", () => {
    const context = makeContext();
    const copy = context.safeCopy();

    (copy.initialState?.data as Record<string, unknown>).key = "b";

    expect(context.initialState?.data).toEqual({ type: "reference", key: "b" });
    expect(copy.initialState?.data).toBe(context.initialState?.data);
  });

  it("the run is shared: mutating it through the copy persists", async () => {
    const run = makeFlowRun();
    const rule = defineRule("Bookkeeper", [], {
      before: (_api, _i, _p, ctx) => {
        ctx.run.empiricalPolicy.resuming = true;
        ctx.run.infrastructurePid = "pid-1";
      },
    });

    await runTransition({
      initial: makeState("PAUSED"),
      proposed: makeState("RUNNING"),
      rules: [rule],
      run,
    });

    expect(run.empiricalPolicy.resuming).toBe(true);
    expect(run.infrastructurePid).toBe("pid-1");
  });

  it("context will mutate if asked politely: rejecting with the edited copy applies it", async () => {
    const log: string[] = [];
    const proposed = makeState("RUNNING");
    const polite = defineRule("Polite", log, {
      before: (api, _i, p) => {
        if (!p) return;
        p.type = "FAILED";
        p.name = "Politely failed";
        api.reject(p, "asked politely");
      },
    });

    const result = await runTransition({
      initial: makeState("PENDING"),
      proposed,
      rules: [polite],
    });

    expect(result.status).toBe("REJECT");
    expect(result.state?.type).toBe("FAILED");
    expect(result.state?.name).toBe("Politely failed");
    expect(proposed.type).toBe("RUNNING");
    // The rejected-into state shares its details with the original proposal.
    expect(result.context.proposedState?.stateDetails).toBe(proposed.stateDetails);
    expect(log).toEqual(["Polite.before", "Polite.after"]);
  });

  it("copies each state one level deep and shares ports, run and signatures", () => {
    const context = makeContext();
    context.validatedState = makeState("RUNNING");
    const copy = context.safeCopy();

    expect(copy).toBeInstanceOf(OrchestrationContext);
    expect(copy).not.toBe(context);
    for (const key of ["initialState", "proposedState", "validatedState"] as const) {
      expect(copy[key]).toEqual(context[key]);
      expect(copy[key]).not.toBe(context[key]);
      expect(copy[key]?.stateDetails).toBe(context[key]?.stateDetails);
    }
    expect(copy.parameters).toEqual(context.parameters);
    expect(copy.parameters).not.toBe(context.parameters);
    expect(copy.run).toBe(context.run);
    expect(copy.deps).toBe(context.deps);
    expect(copy.ruleSignature).toBe(context.ruleSignature);
    expect(copy.proposedStateType).toBe("RUNNING");
  });

  it("a copy of a context without states has no states", () => {
    const context = new OrchestrationContext({
      run: makeFlowRun(),
      deps: { clock: new FakeClock(), ids: new SequentialIds() },
      initialState: null,
      proposedState: null,
    });

    const copy = context.safeCopy();

    expect(copy.initialState).toBeNull();
    expect(copy.proposedState).toBeNull();
    expect(copy.validatedState).toBeNull();
  });
});
