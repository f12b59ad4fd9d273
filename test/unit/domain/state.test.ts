/**
 * Domain basics: state types, default names, state construction and the persisted-result test.
 */
import { describe, expect, it } from "vitest";
import {
  buildState,
  defaultStateName,
  freshCopy,
  isPersistedResult,
  isStateType,
  isTerminalStateType,
  type JsonValue,
  NotFoundError,
  OrchestrationError,
  RunNotFoundError,
  STATE_TYPES,
  type StateType,
  TransitionAlreadyValidatedError,
} from "../../../src/domain/index.ts";

const NOW = new Date("2026-08-21T12:00:00.000Z");

describe("state types", () => {
  it("has the nine types, value equal to name", () => {
    expect(STATE_TYPES).toEqual([
      "SCHEDULED",
      "PENDING",
      "RUNNING",
      "COMPLETED",
      "FAILED",
      "CANCELLED",
      "CRASHED",
      "PAUSED",
      "CANCELLING",
    ]);
  });

  it.each<[StateType | null, boolean]>([
    ["COMPLETED", true],
    ["CANCELLED", true],
    ["FAILED", true],
    ["CRASHED", true],
    ["PAUSED", false],
    ["CANCELLING", false],
    ["SCHEDULED", false],
    ["PENDING", false],
    ["RUNNING", false],
    [null, false],
  ])("%s is terminal: %s", (type, terminal) => {
    expect(isTerminalStateType(type)).toBe(terminal);
  });

  it.each<[StateType, string]>([
    ["SCHEDULED", "Scheduled"],
    ["PENDING", "Pending"],
    ["RUNNING", "Running"],
    ["COMPLETED", "Completed"],
    ["FAILED", "Failed"],
    ["CANCELLED", "Cancelled"],
    ["CRASHED", "Crashed"],
    ["PAUSED", "Paused"],
    ["CANCELLING", "Cancelling"],
  ])("the default name of %s is %s", (type, name) => {
    expect(defaultStateName(type)).toBe(name);
  });

  it("recognises state types and nothing else", () => {
    expect(isStateType("RUNNING")).toBe(true);
    expect(isStateType("running")).toBe(false);
    expect(isStateType("STATE_TYPE_UNSPECIFIED")).toBe(false);
    expect(isStateType(null)).toBe(false);
  });
});

describe("buildState", () => {
  it("defaults the name from the type and leaves data and message empty", () => {
    expect(buildState({ type: "RUNNING" }, "s-1", NOW)).toEqual({
      id: "s-1",
      type: "RUNNING",
      name: "Running",
      timestamp: NOW,
      message: null,
      stateDetails: {},
      data: null,
    });
  });

  it("keeps a given name and treats an empty one as absent", () => {
    expect(buildState({ type: "SCHEDULED", name: "Late" }, "s", NOW).name).toBe("Late");
    expect(buildState({ type: "SCHEDULED", name: "" }, "s", NOW).name).toBe("Scheduled");
  });

  it("sets an empty scheduled time of a SCHEDULED state to now, and keeps a given one", () => {
    const later = new Date("2026-08-21T13:00:00.000Z");
    expect(buildState({ type: "SCHEDULED" }, "s", NOW).stateDetails.scheduledTime).toEqual(NOW);
    expect(
      buildState({ type: "SCHEDULED", stateDetails: { scheduledTime: later } }, "s", NOW)
        .stateDetails.scheduledTime,
    ).toEqual(later);
    expect(buildState({ type: "PENDING" }, "s", NOW).stateDetails.scheduledTime).toBeUndefined();
  });

  it("does not share the caller's details object", () => {
    const details = { cacheKey: "k" };
    const state = buildState({ type: "COMPLETED", stateDetails: details }, "s", NOW);
    state.stateDetails.cacheKey = "other";
    expect(details.cacheKey).toBe("k");
  });
});

describe("freshCopy", () => {
  it("is a deep copy with a new id and timestamp", () => {
    const original = buildState(
      {
        type: "COMPLETED",
        message: "done",
        data: { value: [1, 2] },
        stateDetails: { cacheKey: "k" },
      },
      "s-1",
      new Date(0),
    );

    const copy = freshCopy(original, "s-2", NOW);

    expect(copy).toEqual({ ...original, id: "s-2", timestamp: NOW });
    expect(copy.stateDetails).not.toBe(original.stateDetails);
    expect(copy.data).not.toBe(original.data);
  });
});

describe("isPersistedResult", () => {
  it.each<[string, JsonValue | null, boolean]>([
    ["an object with another type", { type: "reference", storage_key: "x" }, true],
    ["an object without a type", { value: 1 }, true],
    ["an unpersisted result", { type: "unpersisted" }, false],
    ["a scalar", 42, false],
    ["a string", "result", false],
    ["a list", [{ type: "reference" }], false],
    ["no data", null, false],
  ])("%s → %s", (_name, data, persisted) => {
    expect(isPersistedResult(data)).toBe(persisted);
  });
});

describe("domain errors", () => {
  it.each([
    ["flow_run", "Flow run with id r-1 not found"],
    ["task_run", "Task run with id r-1 not found"],
  ] as const)("RunNotFoundError(%s) carries its fields and message", (kind, message) => {
    const error = new RunNotFoundError(kind, "r-1");
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.runKind).toBe(kind);
    expect(error.runId).toBe("r-1");
    expect(error.message).toBe(message);
    expect(error.name).toBe("RunNotFoundError");
  });

  it("TransitionAlreadyValidatedError is an OrchestrationError with the spec's message", () => {
    const error = new TransitionAlreadyValidatedError();
    expect(error).toBeInstanceOf(OrchestrationError);
    expect(error.message).toBe("The transition is already validated");
  });
});
