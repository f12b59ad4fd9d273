/**
 * Error text in the shape Prefect's reasons use. Reasons such as "Aborting orchestration due
 * to error in <rule>: !<repr(e)>" embed Python's `repr()` of the exception, e.g.
 * `ValueError('boom')`; clients match on these strings, so we render errors the same way.
 */

/** Python's `repr()` of a string: single quotes unless only double quotes avoid escaping. */
export function pythonStringRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = "";
  for (const ch of value) {
    if (ch === "\\" || ch === quote) out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}

/**
 * `repr()` of a thrown value: `Name('message')` for errors (`Name()` when the message is
 * empty), `String(value)` for anything else that was thrown.
 */
export function reprError(error: unknown): string {
  if (error instanceof Error) {
    return error.message === ""
      ? `${error.name}()`
      : `${error.name}(${pythonStringRepr(error.message)})`;
  }
  return String(error);
}
