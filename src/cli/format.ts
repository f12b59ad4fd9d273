/**
 * Human-readable output: aligned tables, key/value blocks, and the words the CLI uses for
 * states, outcomes and times. Tables are plain space-aligned columns (like `kubectl get` or
 * `temporal workflow list`), which a dozen lines do; the table libraries on npm draw boxes.
 */
import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { SetStateStatus } from "../../gen/flowgate/v1/orchestration_pb.js";
import { type State, StateType } from "../../gen/flowgate/v1/states_pb.js";

/** Rows under a header, columns padded to their widest cell; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** `key  value` lines with the keys aligned, long values wrapped; empty values print as "-". */
export function keyValues(
  pairs: readonly (readonly [string, string])[],
  layout: { readonly indent?: string; readonly keyWidth?: number } = {},
): string {
  const indent = layout.indent ?? "";
  const width = Math.max(layout.keyWidth ?? 0, ...pairs.map(([key]) => key.length));
  const margin = `${indent}${" ".repeat(width + 2)}`;
  return pairs
    .map(([key, value]) =>
      wrap(value || "-", LINE_WIDTH - margin.length)
        .map((line, index) =>
          index === 0 ? `${indent}${key.padEnd(width)}  ${line}` : `${margin}${line}`,
        )
        .join("\n"),
    )
    .join("\n");
}

/** Where long values wrap. */
const LINE_WIDTH = 100;

/** `text` in lines of at most `width` characters, broken at spaces (a longer word stays whole). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  return [...lines, line];
}

/** `STATE_TYPE_RUNNING` → `RUNNING` (unset → "-"). */
export function stateTypeName(type: StateType): string {
  return type === StateType.UNSPECIFIED ? "-" : (StateType[type] ?? String(type));
}

/** `SET_STATE_STATUS_ACCEPT` → `ACCEPT`. */
export function statusName(status: SetStateStatus): string {
  return SetStateStatus[status] ?? String(status);
}

/** "RUNNING", or "SCHEDULED (Late)" when the name says more than the type. */
export function stateLabel(type: StateType, name: string): string {
  const typeName = stateTypeName(type);
  if (name === "" || name.toUpperCase() === typeName) return typeName;
  return `${typeName} (${name})`;
}

/** The state types a user may type: `running`, `RUNNING` or `STATE_TYPE_RUNNING`. */
export function parseStateType(text: string): StateType {
  const key = text
    .trim()
    .toUpperCase()
    .replace(/^STATE_TYPE_/, "");
  const value = (StateType as unknown as Record<string, number>)[key];
  if (value === undefined || value === StateType.UNSPECIFIED) {
    const known = Object.keys(StateType).filter(
      (k) => Number.isNaN(Number(k)) && k !== "UNSPECIFIED",
    );
    throw new UsageError(`unknown state type "${text}" (one of ${known.join(", ")})`);
  }
  return value as StateType;
}

/** A mistake in the command line: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** `2026-12-01T16:00:01.234Z`, or "-" when unset. */
export function time(value: Timestamp | undefined): string {
  return value === undefined ? "-" : timestampDate(value).toISOString();
}

/** `12.5s`, `3m 4s`, or "-" when unset. */
export function duration(value: Duration | undefined): string {
  if (value === undefined) return "-";
  const seconds = Number(value.seconds) + value.nanos / 1e9;
  if (seconds < 60) return `${Number(seconds.toFixed(3))}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${Math.round(seconds % 60)}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

/** One line for a state: when, what, and the decision that wrote it. */
export function stateLine(state: State): string {
  return `${time(state.timestamp)}  ${stateLabel(state.type, state.name)}  ${decisionSummary(state)}`;
}

/** "accepted by CoreFlowPolicy", "rejected by CoreFlowPolicy: reason", or why it is unknown. */
export function decisionSummary(state: State): string {
  const decision = state.decision;
  if (decision === undefined) return "(decision not recorded)";
  const verdict = decision.rejected ? "rejected" : "accepted";
  const reason = decision.reason === "" ? "" : `: ${decision.reason}`;
  return `${verdict} by ${decision.policy}${reason}`;
}

/** "a, b" or "-". */
export function list(values: readonly string[]): string {
  return values.length === 0 ? "-" : values.join(", ");
}
