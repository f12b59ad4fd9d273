import { describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  NotFoundError,
  QUOTED_VALUE_LENGTH,
  quoteValue,
  RunNotFoundError,
  truncateText,
} from "../../../src/domain/index.ts";

describe("error messages quote a short prefix of a caller's value", () => {
  it("quotes a short value whole, JSON-escaped", () => {
    expect(quoteValue("x")).toBe('"x"');
    expect(quoteValue("a\u0000b")).toBe('"a\\u0000b"');
  });

  it("regression: quotes at most 64 characters of a 1 MB value, then …", () => {
    const quoted = quoteValue("f".repeat(1 << 20));
    expect(quoted).toBe(`"${"f".repeat(QUOTED_VALUE_LENGTH)}…"`);
  });

  it("never cuts a surrogate pair", () => {
    const text = `${"a".repeat(QUOTED_VALUE_LENGTH - 1)}😀tail`;
    expect(truncateText(text, QUOTED_VALUE_LENGTH)).toBe(`${"a".repeat(QUOTED_VALUE_LENGTH - 1)}…`);
  });

  it("keeps NOT_FOUND messages short for a huge id, and their wording for a normal one", () => {
    expect(new NotFoundError("concurrency limit", "t".repeat(1 << 20)).message.length).toBeLessThan(
      100,
    );
    expect(new NotFoundError("flow", "f-1").message).toBe("flow f-1 not found");
    expect(new RunNotFoundError("task_run", "r-1").message).toBe("Task run with id r-1 not found");
  });

  it("keeps InvalidArgumentError's field and message", () => {
    const error = new InvalidArgumentError("flow_id", "is required");
    expect(error.field).toBe("flow_id");
    expect(error.message).toBe("flow_id: is required");
    expect(error.reason).toBe("INVALID_FIELD");
  });
});
