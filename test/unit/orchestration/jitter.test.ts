/**
 * Prefect's clamped Poisson interval and Python's round(), against values computed with
 * Prefect's formulas in Python (spec §1.9).
 */
import { describe, expect, it } from "vitest";
import { clampedPoissonInterval, roundHalfEven } from "../../../src/orchestration/index.ts";

const fixed = (value: number) => ({ random: () => value });

describe("clampedPoissonInterval", () => {
  it.each([
    { average: 2, factor: 0.3, u: 0.5, expected: 1.9775556709183482 },
    { average: 10, factor: 0.3, u: 0, expected: 7.517717039771911 },
    { average: 10, factor: 0.3, u: 0.999999, expected: 12.999992698153415 },
    { average: 4, factor: 0.5, u: 0.5, expected: 3.8912153541066083 },
    { average: 3, factor: 1, u: 0.25, expected: 1.9099009840133019 },
  ])(
    "average $average, factor $factor, draw $u → $expected",
    ({ average, factor, u, expected }) => {
      expect(clampedPoissonInterval(average, factor, fixed(u))).toBeCloseTo(expected, 9);
    },
  );

  it("stays within [0.752·avg, 1.3·avg] for the default factor", () => {
    for (const u of [0, 0.1, 0.5, 0.9, 0.999999]) {
      const value = clampedPoissonInterval(100, 0.3, fixed(u));
      expect(value).toBeGreaterThanOrEqual(75.17);
      expect(value).toBeLessThanOrEqual(130);
    }
  });

  it("a huge factor has no lower clamp", () => {
    expect(clampedPoissonInterval(1, 60, fixed(0))).toBe(0);
  });

  it("§8.3.2 an average of 0 is 0, not a division by zero", () => {
    expect(clampedPoissonInterval(0, 0.3, fixed(0.5))).toBe(0);
  });

  it("rejects a factor ≤ 0", () => {
    expect(() => clampedPoissonInterval(1, 0, fixed(0.5))).toThrow(RangeError);
  });
});

describe("roundHalfEven", () => {
  it.each([
    [0.5, 0],
    [1.5, 2],
    [2.5, 2],
    [2.4999, 2],
    [2.5001, 3],
    [7.517, 8],
    [-0.5, 0],
    [-1.5, -2],
    [3, 3],
  ])("round(%d) = %d", (x, expected) => {
    expect(roundHalfEven(x)).toBe(expected);
  });
});
