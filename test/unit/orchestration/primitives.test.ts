/**
 * The mutation primitives of spec §2.4 and the outcomes they produce.
 */
import { describe, expect, it } from "vitest";
import { OrchestrationError, TransitionAlreadyValidatedError } from "../../../src/domain/index.ts";
import {
  type Ctx,
  defineRule,
  FakeStateWriter,
  makeState,
  type RuleApi,
  runTransition,
} from "./support.ts";

describe("primitives", () => {
  it("rejectTransition with a state stores that exact state with REJECT", async () => {
    const writer = new FakeStateWriter();
    const replacement = makeState("SCHEDULED", { name: "AwaitingRetry" });
    const rule = defineRule("Retry", [], { before: (api) => api.reject(replacement, "Retrying") });

    const result = await runTransition({
      initial: makeState("RUNNING"),
      proposed: makeState("FAILED"),
      rules: [rule],
      writer,
    });

    expect(writer.written).toHaveLength(1);
    expect(writer.written[0]).toBe(replacement);
    expect(result.status).toBe("REJECT");
    expect(result.details).toEqual({ type: "reject_details", reason: "Retrying" });
    expect(result.state).toEqual(replacement);
  });

  it("rejectTransition with no state writes nothing and answers with the current state", async () => {
    const writer = new FakeStateWriter();
    const initial = makeState("RUNNING");
    const rule = defineRule("Duplicate", [], {
      before: (api) => api.reject(null, "This run has already made this state transition."),
    });

    const result = await runTransition({
      initial,
      proposed: makeState("RUNNING"),
      rules: [rule],
      writer,
    });

    expect(writer.written).toEqual([]);
    expect(result.status).toBe("REJECT");
    expect(result.details).toEqual({
      type: "reject_details",
      reason: "This run has already made this state transition.",
    });
    expect(result.state).toEqual(initial);
  });

  it("null-reject without a current state raises an OrchestrationError, reported as ABORT", async () => {
    let context: Ctx | null = null;
    const rule = defineRule("NullRejecter", [], {
      before: (api) => {
        context = api.rule.context;
        api.reject(null, "no");
      },
    });

    const error = await runTransition({
      initial: null,
      proposed: makeState("PENDING"),
      rules: [rule],
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OrchestrationError);
    expect((error as Error).message).toBe(
      "The current run has no state; this transition cannot be rejected without providing a new state.",
    );
    const real = context as unknown as Ctx;
    expect(real.responseStatus).toBe("ABORT");
    expect(real.responseDetails).toEqual({
      type: "abort_details",
      reason:
        "Aborting orchestration due to error in NullRejecter: !OrchestrationError('The current run has no state; this transition cannot be rejected without providing a new state.')",
    });
  });

  it("delayTransition writes nothing and answers WAIT with the delay and reason", async () => {
    const writer = new FakeStateWriter();
    const initial = makeState("SCHEDULED");
    const rule = defineRule("Wait", [], {
      before: (api) => api.delay(300, "Scheduled time is in the future"),
    });

    const result = await runTransition({
      initial,
      proposed: makeState("RUNNING"),
      rules: [rule],
      writer,
    });

    expect(writer.written).toEqual([]);
    expect(result.status).toBe("WAIT");
    expect(result.details).toEqual({
      type: "wait_details",
      delaySeconds: 300,
      reason: "Scheduled time is in the future",
    });
    expect(result.state).toEqual(initial);
  });

  it("abortTransition writes nothing and answers ABORT with the reason", async () => {
    const writer = new FakeStateWriter();
    const rule = defineRule("Abort", [], {
      before: (api) =>
        api.abort("This run is in a PENDING state and cannot transition to a PENDING state."),
    });

    const result = await runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("PENDING"),
      rules: [rule],
      writer,
    });

    expect(writer.written).toEqual([]);
    expect(result.status).toBe("ABORT");
    expect(result.details).toEqual({
      type: "abort_details",
      reason: "This run is in a PENDING state and cannot transition to a PENDING state.",
    });
  });

  it.each<[string, (api: RuleApi) => void]>([
    ["rejectTransition", (api) => api.reject(makeState("FAILED"), "late")],
    ["rejectTransition(null)", (api) => api.reject(null, "late")],
    ["delayTransition", (api) => api.delay(1, "late")],
    ["abortTransition", (api) => api.abort("late")],
  ])("%s after validation raises 'The transition is already validated'", async (_name, act) => {
    const log: string[] = [];
    const late = defineRule("Late", log, { after: (api) => act(api) });
    const outer = defineRule("Outer", log);

    const result = runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      rules: [outer, late],
    });

    await expect(result).rejects.toThrow(TransitionAlreadyValidatedError);
    await expect(result).rejects.toThrow("The transition is already validated");
    expect(log).toEqual(["Outer.before", "Late.before", "Late.after", "Outer.after"]);
  });

  it("renameState renames the real proposed state", async () => {
    const proposed = makeState("RUNNING");
    const rule = defineRule("Rename", [], { before: (api) => api.rename("Rerunning") });

    const result = await runTransition({ initial: makeState("PENDING"), proposed, rules: [rule] });

    expect(proposed.name).toBe("Rerunning");
    expect(result.state?.name).toBe("Rerunning");
    expect(result.status).toBe("ACCEPT");
  });

  it("renameState on a nullified transition does nothing", async () => {
    const initial = makeState("PENDING");
    const nullifier = defineRule("Nullifier", [], { before: (api) => api.reject(null, "no") });
    const renamer = defineRule("Renamer", [], {
      to: new Set([null]),
      before: (api) => api.rename("Nope"),
    });

    const result = await runTransition({
      initial,
      proposed: makeState("RUNNING"),
      rules: [nullifier, renamer],
    });

    expect(result.state?.name).toBe("Pending");
  });

  it("updateContextParameters writes the real context's parameters", async () => {
    const rule = defineRule("Param", [], {
      before: (api, _i, _p, ctx) => {
        api.setParameter("answer", 42);
        // The copy the hook holds is protected; only the primitive reaches the context.
        ctx.parameters.ignored = true;
      },
    });

    const result = await runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      rules: [rule],
      parameters: { given: "yes" },
    });

    expect(result.context.parameters).toEqual({ given: "yes", answer: 42 });
  });

  it("statuses are last-writer-wins", async () => {
    const first = defineRule("Renamer", [], {
      before: (api) => api.reject(makeState("RUNNING", { name: "Kept" }), "first"),
    });
    const second = defineRule("SameType", [], {
      before: (api, _i, proposed) => api.reject(proposed, "second"),
    });

    const result = await runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      rules: [first, second],
    });

    expect(result.details).toEqual({ type: "reject_details", reason: "second" });
    expect(result.state?.name).toBe("Kept");
  });
});
