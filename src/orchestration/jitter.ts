/**
 * Prefect's jittered intervals and Python's rounding (spec §1.9), so retry delays and
 * tag-limit WAIT delays spread clients out exactly as Prefect's do.
 *
 * `clampedPoissonInterval` draws from an exponential distribution with mean `average`,
 * restricted (by inverse-CDF sampling of a uniform draw) to roughly
 * `[0.752·average, (1 + c)·average]` for the default `c = 0.3`. The uniform draw comes from an
 * injected {@link RandomSource}, so tests pin it. Unlike Prefect, an average of 0 (or less)
 * yields 0 instead of dividing by zero (Fix §8.3.2).
 */
import type { RandomSource } from "./ports.ts";

/** Prefect's default clamping factor. */
export const DEFAULT_CLAMPING_FACTOR = 0.3;

/** Prefect's lower clamp multiple `log2(2^k / (2^k − 1))`; 0 when `k ≥ 50` (overflow). */
function lowerClampMultiple(k: number): number {
  if (k >= 50) return 0;
  return Math.log2(Math.max(2 ** k / (2 ** k - 1), 1e-10));
}

/**
 * Prefect's `clamped_poisson_interval(average, clamping_factor)`: a random interval around
 * `average`, between `average · lower_clamp_multiple(1 + c)` and `average · (1 + c)`.
 * Throws RangeError when `clampingFactor ≤ 0` (Prefect's ValueError); returns 0 for an
 * average ≤ 0.
 */
export function clampedPoissonInterval(
  average: number,
  clampingFactor: number,
  random: RandomSource,
): number {
  if (clampingFactor <= 0) throw new RangeError("`clamping_factor` must be >= 0.");
  if (average <= 0) return 0;
  const k = 1 + clampingFactor;
  const upper = average * k;
  const lower = Math.max(0, average * lowerClampMultiple(k));
  const cdf = (x: number): number => 1 - Math.exp(-x / average);
  const lowerRv = cdf(lower);
  const u = lowerRv + (cdf(upper) - lowerRv) * random.random();
  // `+ 0` turns the -0 of a zero draw into 0.
  return -Math.log(Math.max(1 - u, 1e-10)) * average + 0;
}

/** Python's `round(x)`: to the nearest integer, halves to the even one (banker's rounding). */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
