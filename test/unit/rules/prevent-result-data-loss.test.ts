import { describe, expect, it } from "vitest";
import type { JsonValue, StateType } from "../../../src/domain/index.ts";
import { PreventResultDataLoss } from "../../../src/orchestration/index.ts";
import { makeState, runFlow } from "./support.ts";

const REASON =
  "Cannot overwrite a COMPLETED state that carries persisted result data with one that does not.";
const persisted: JsonValue = { storage_key: "k" };

describe("PreventResultDataLoss", () => {
  it.each<{
    name: string;
    from: StateType;
    to: StateType;
    a: JsonValue;
    b: JsonValue;
    rejected: boolean;
  }>([
    {
      name: "COMPLETED(persisted) → COMPLETED(none)",
      from: "COMPLETED",
      to: "COMPLETED",
      a: persisted,
      b: null,
      rejected: true,
    },
    {
      name: "COMPLETED(persisted) → COMPLETED(scalar)",
      from: "COMPLETED",
      to: "COMPLETED",
      a: persisted,
      b: 7,
      rejected: true,
    },
    {
      name: "COMPLETED(persisted) → COMPLETED(unpersisted)",
      from: "COMPLETED",
      to: "COMPLETED",
      a: persisted,
      b: { type: "unpersisted" },
      rejected: true,
    },
    {
      name: "COMPLETED(persisted) → COMPLETED(persisted)",
      from: "COMPLETED",
      to: "COMPLETED",
      a: persisted,
      b: persisted,
      rejected: false,
    },
    {
      name: "COMPLETED(scalar) → COMPLETED(none)",
      from: "COMPLETED",
      to: "COMPLETED",
      a: "x",
      b: null,
      rejected: false,
    },
    {
      name: "COMPLETED(list) → COMPLETED(none)",
      from: "COMPLETED",
      to: "COMPLETED",
      a: [1],
      b: null,
      rejected: false,
    },
    {
      name: "COMPLETED(persisted) → FAILED",
      from: "COMPLETED",
      to: "FAILED",
      a: persisted,
      b: null,
      rejected: false,
    },
    {
      name: "FAILED(persisted) → COMPLETED(none)",
      from: "FAILED",
      to: "COMPLETED",
      a: persisted,
      b: null,
      rejected: false,
    },
  ])("$name", async ({ from, to, a, b, rejected }) => {
    const result = await runFlow({
      initial: makeState(from, { data: a }),
      proposed: makeState(to, { data: b }),
      rules: [PreventResultDataLoss],
    });
    if (rejected) {
      expect(result.status).toBe("REJECT");
      expect(result.details).toEqual({ type: "reject_details", reason: REASON });
    } else {
      expect(result.status).toBe("ACCEPT");
    }
  });

  it("does not apply to non-terminal targets", async () => {
    const result = await runFlow({
      initial: makeState("COMPLETED", { data: persisted }),
      proposed: makeState("RUNNING"),
      rules: [PreventResultDataLoss],
    });
    expect(result.status).toBe("ACCEPT");
  });
});
