/**
 * The pipeline of spec §2.2, §2.5, §2.7 and §2.8: order of hooks, universal transforms,
 * the validate step, and what happens when something throws.
 */
import { describe, expect, it } from "vitest";
import { stateTypes } from "../../../src/orchestration/index.ts";
import {
  type Ctx,
  defineRule,
  defineTransform,
  FakeStateWriter,
  makeState,
  runTransition,
} from "./support.ts";

class DiskFullError extends Error {
  override name = "DiskFullError";
}

describe("pipeline order", () => {
  it("nests hooks: before in order, after in reverse, global transforms inside the policy rules", async () => {
    const log: string[] = [];
    const writer = new FakeStateWriter();
    const spy = { writeState: writer.writeState.bind(writer) };
    writer.writeState = async (run, state) => {
      log.push("validate");
      return spy.writeState(run, state);
    };

    await runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      rules: [defineRule("R1", log), defineRule("R2", log)],
      transforms: [defineTransform("G1", log), defineTransform("G2", log)],
      writer,
    });

    expect(log).toEqual([
      "R1.before",
      "R2.before",
      "G1.before",
      "G2.before",
      "validate",
      "G2.after",
      "G1.after",
      "R2.after",
      "R1.after",
    ]);
  });

  it("compiles rules once from the intended transition, not from a rejected-into type", async () => {
    const log: string[] = [];
    const cacheHit = defineRule("CacheHit", log, {
      before: (api) => api.reject(makeState("COMPLETED"), "Retrieved state from cache"),
    });
    const onlyCompleted = defineRule("OnlyCompleted", log, { to: stateTypes("COMPLETED") });

    const result = await runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      rules: [cacheHit, onlyCompleted],
    });

    expect(log).toEqual(["CacheHit.before", "CacheHit.after"]);
    expect(result.context.ruleSignature).toEqual(["CacheHit"]);
  });

  it("an accepted transition writes the proposal once and returns it with ACCEPT", async () => {
    const writer = new FakeStateWriter();
    const proposed = makeState("RUNNING");

    const result = await runTransition({ initial: makeState("PENDING"), proposed, writer });

    expect(writer.written).toEqual([proposed]);
    expect(result.status).toBe("ACCEPT");
    expect(result.details).toEqual({ type: "accept_details" });
    expect(result.state).toEqual(proposed);
    expect(result.context.validatedState).toBe(result.state);
    expect(result.context.policyName).toBe("TestPolicy");
  });

  it("a nullified transition writes nothing and validates to a copy of the current state", async () => {
    const writer = new FakeStateWriter();
    const initial = makeState("PENDING", {
      stateDetails: { deploymentConcurrencyLeaseId: "lease-1" },
    });
    const nullifier = defineRule("Nullifier", [], { before: (api) => api.reject(null, "no") });

    const result = await runTransition({
      initial,
      proposed: makeState("RUNNING"),
      rules: [nullifier],
      writer,
    });

    expect(writer.written).toEqual([]);
    expect(result.state).toEqual(initial);
    // A cleanup that edits the validated details must not reach the initial state.
    expect(result.state).not.toBe(initial);
    expect(result.state?.stateDetails).not.toBe(initial.stateDetails);
  });

  it("a nullified transition of a run without a state validates to no state", async () => {
    const result = await runTransition({ initial: null, proposed: null });

    expect(result.state).toBeNull();
    expect(result.status).toBe("ACCEPT");
  });
});

describe("universal transforms", () => {
  it("always enter, even when the transition is nullified", async () => {
    const log: string[] = [];
    const aborter = defineRule("Aborter", log, { before: (api) => api.abort("stop") });

    const result = await runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      rules: [aborter],
      transforms: [defineTransform("G", log)],
    });

    expect(log).toEqual(["Aborter.before", "G.before", "G.after", "Aborter.after"]);
    expect(result.context.ruleSignature).toEqual(["Aborter", "G"]);
    expect(result.context.finalizationSignature).toEqual(["G", "Aborter"]);
  });

  it("receive the real context and may mutate it", async () => {
    let seen: Ctx | null = null;
    const proposed = makeState("RUNNING");
    const transform = defineTransform("Renamer", [], {
      before: (ctx) => {
        seen = ctx;
        if (ctx.proposedState) ctx.proposedState.name = "Renamed";
      },
    });

    const result = await runTransition({
      initial: makeState("PENDING"),
      proposed,
      transforms: [transform],
    });

    expect(seen).toBe(result.context);
    expect(proposed.name).toBe("Renamed");
    expect(result.state?.name).toBe("Renamed");
  });

  it("skip their after-hook after a rule's before-hook raised, also when entered before it", async () => {
    const log: string[] = [];
    const boom = new Error("boom");
    const exploder = defineRule("Exploder", log, {
      before: () => {
        throw boom;
      },
    });

    await expect(
      runTransition({
        initial: makeState("PENDING"),
        proposed: makeState("RUNNING"),
        rules: [exploder],
        transforms: [defineTransform("G", log)],
      }),
    ).rejects.toBe(boom);

    expect(log).toEqual(["Exploder.before", "G.before", "Exploder.cleanup"]);
  });

  it("still run their after-hook after a validation failure, seeing a nullified transition", async () => {
    const log: string[] = [];
    let proposedAtExit: unknown = "unset";
    const writer = new FakeStateWriter();
    writer.failure = { error: new DiskFullError("disk full"), retryable: false };

    await runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      transforms: [
        defineTransform("G", log, { after: (ctx) => (proposedAtExit = ctx.proposedState) }),
      ],
      writer,
    });

    expect(log).toEqual(["G.before", "G.after"]);
    expect(proposedAtExit).toBeNull();
  });
});

describe("exceptions", () => {
  it("a before-hook exception becomes ABORT with the exact reason, fizzles its rule, and is rethrown after unwinding", async () => {
    const log: string[] = [];
    const boom = new TypeError("it's broken");
    let context: Ctx | null = null;
    const earlier = defineRule("Earlier", log);
    const exploder = defineRule("Exploder", log, {
      before: () => {
        throw boom;
      },
    });
    const later = defineRule("Later", log);
    const recorder = defineTransform("Recorder", log, { before: (ctx) => (context = ctx) });
    const writer = new FakeStateWriter();

    await expect(
      runTransition({
        initial: makeState("PENDING"),
        proposed: makeState("RUNNING"),
        rules: [earlier, exploder, later],
        transforms: [recorder],
        writer,
      }),
    ).rejects.toBe(boom);

    expect(log).toEqual([
      "Earlier.before",
      "Exploder.before",
      "Recorder.before",
      "Exploder.cleanup",
      "Earlier.cleanup",
    ]);
    const ctx = context as unknown as Ctx;
    expect(ctx.responseStatus).toBe("ABORT");
    expect(ctx.responseDetails).toEqual({
      type: "abort_details",
      reason: `Aborting orchestration due to error in Exploder: !TypeError("it's broken")`,
    });
    expect(ctx.orchestrationError).toBe(boom);
    expect(ctx.proposedState).toBeNull();
    expect(ctx.ruleSignature).toEqual(["Earlier", "Recorder"]);
    expect(ctx.fizzledRules).toEqual(["Exploder", "Earlier"]);
    expect(writer.written).toEqual([]);
  });

  it("a universal transform's before-hook exception propagates at once; entered steps still exit", async () => {
    const log: string[] = [];
    const boom = new Error("transform failed");
    const writer = new FakeStateWriter();

    await expect(
      runTransition({
        initial: makeState("PENDING"),
        proposed: makeState("RUNNING"),
        rules: [defineRule("R", log)],
        transforms: [
          defineTransform("G1", log),
          defineTransform("G2", log, {
            before: () => {
              throw boom;
            },
          }),
          defineTransform("G3", log),
        ],
        writer,
      }),
    ).rejects.toBe(boom);

    // No validation ran; the steps entered before the failure exit normally (no type changed).
    expect(writer.written).toEqual([]);
    expect(log).toEqual(["R.before", "G1.before", "G2.before", "G1.after", "R.after"]);
  });

  it("after-hook exceptions propagate but the remaining exits still run", async () => {
    const log: string[] = [];
    const boom = new Error("after failed");
    const writer = new FakeStateWriter();

    await expect(
      runTransition({
        initial: makeState("PENDING"),
        proposed: makeState("RUNNING"),
        rules: [
          defineRule("Outer", log),
          defineRule("Failing", log, {
            after: () => {
              throw boom;
            },
          }),
          defineRule("Inner", log),
        ],
        transforms: [defineTransform("G", log)],
        writer,
      }),
    ).rejects.toBe(boom);

    expect(log.filter((entry) => entry.endsWith(".after"))).toEqual([
      "G.after",
      "Inner.after",
      "Failing.after",
      "Outer.after",
    ]);
    expect(writer.written).toHaveLength(1);
  });

  it("cleanup exceptions propagate too", async () => {
    const boom = new Error("cleanup failed");
    const log: string[] = [];

    await expect(
      runTransition({
        initial: makeState("PENDING"),
        proposed: makeState("RUNNING"),
        rules: [
          defineRule("Outer", log),
          defineRule("Leaky", log, {
            cleanup: () => {
              throw boom;
            },
          }),
          defineRule("Aborter", log, { before: (api) => api.abort("stop") }),
        ],
      }),
    ).rejects.toBe(boom);

    expect(log).toContain("Outer.cleanup");
  });

  it("when several exits throw, the last one raised propagates", async () => {
    const first = new Error("inner exit");
    const second = new Error("outer exit");

    await expect(
      runTransition({
        initial: makeState("PENDING"),
        proposed: makeState("RUNNING"),
        rules: [
          defineRule("Outer", [], {
            after: () => {
              throw second;
            },
          }),
          defineRule("Inner", [], {
            after: () => {
              throw first;
            },
          }),
        ],
      }),
    ).rejects.toBe(second);
  });

  it("an exit exception wins over a captured before-hook error", async () => {
    const captured = new Error("before failed");
    const exitError = new Error("cleanup failed");

    await expect(
      runTransition({
        initial: makeState("PENDING"),
        proposed: makeState("RUNNING"),
        rules: [
          defineRule("Outer", [], {
            cleanup: () => {
              throw exitError;
            },
          }),
          defineRule("Exploder", [], {
            before: () => {
              throw captured;
            },
          }),
        ],
      }),
    ).rejects.toBe(exitError);
  });
});

describe("validation", () => {
  it("a validation failure yields ABORT with no state and cleanup for valid rules", async () => {
    const log: string[] = [];
    const writer = new FakeStateWriter();
    writer.failure = { error: new DiskFullError("disk full"), retryable: false };

    const result = await runTransition({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING"),
      rules: [defineRule("R1", log), defineRule("R2", log)],
      writer,
    });

    expect(result.status).toBe("ABORT");
    expect(result.details).toEqual({
      type: "abort_details",
      reason: "Error validating state: DiskFullError('disk full')",
    });
    expect(result.state).toBeNull();
    expect(result.context.proposedState).toBeNull();
    expect(result.context.orchestrationError).toBeNull();
    expect(log).toEqual(["R1.before", "R2.before", "R2.cleanup", "R1.cleanup"]);
  });

  it("a retryable database error during validation is rethrown after the exits ran", async () => {
    const log: string[] = [];
    const serializationFailure = new Error("could not serialize access");
    const writer = new FakeStateWriter();
    writer.failure = { error: serializationFailure, retryable: true };

    await expect(
      runTransition({
        initial: makeState("PENDING"),
        proposed: makeState("RUNNING"),
        rules: [defineRule("R", log)],
        transforms: [defineTransform("G", log)],
        writer,
      }),
    ).rejects.toBe(serializationFailure);

    expect(log).toEqual(["R.before", "G.before", "G.after", "R.cleanup"]);
  });
});
