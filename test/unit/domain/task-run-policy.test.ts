import { describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  type TaskRunPolicy,
  validateTaskRunPolicy,
} from "../../../src/domain/index.ts";

function policy(p: Partial<TaskRunPolicy>): TaskRunPolicy {
  return { retries: null, retryDelay: null, retryJitterFactor: null, ...p };
}

describe("validateTaskRunPolicy", () => {
  it.each([
    { name: "defaults", p: {} },
    { name: "50 retry delays", p: { retryDelay: Array.from({ length: 50 }, () => 1) } },
    { name: "a scalar delay", p: { retryDelay: 2.5 } },
    { name: "jitter 0", p: { retryJitterFactor: 0 } },
  ])("accepts $name", ({ p }) => {
    expect(() => validateTaskRunPolicy(policy(p))).not.toThrow();
  });

  it.each([
    {
      name: "51 retry delays",
      p: { retryDelay: Array.from({ length: 51 }, () => 1) },
      field: "empirical_policy.retry_delay",
      message: "Can not configure more than 50 retry delays per task.",
    },
    {
      name: "a negative jitter factor",
      p: { retryJitterFactor: -0.1 },
      field: "empirical_policy.retry_jitter_factor",
      message: "`retry_jitter_factor` must be >= 0.",
    },
  ])("rejects $name, naming the field", ({ p, field, message }) => {
    let caught: unknown;
    try {
      validateTaskRunPolicy(policy(p));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect(caught).toMatchObject({ field, message: `${field}: ${message}` });
  });
});
