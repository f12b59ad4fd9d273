/** Small SQL helpers shared by the stores. */

/** A PostgreSQL text[] literal: every element quoted and escaped. */
export function pgTextArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(",")}}`;
}
