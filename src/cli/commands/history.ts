/**
 * What flow runs and task runs share on the command line: a run's state history as a
 * timeline (each state with the decision that wrote it: the policy, the rules that fired and
 * fizzled), and watching a run's transitions.
 */
import { type JsonValue, toJson } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type State, StateSchema, StateType } from "../../../gen/flowgate/v1/states_pb.js";
import type { CliContext } from "../context.ts";
import { ExitCode } from "../exit-codes.ts";
import { decisionSummary, keyValues, list, stateLabel, stateLine, time } from "../format.ts";

/** The states after which a run does nothing more on its own (Prefect's final states). */
const FINAL_STATE_TYPES: ReadonlySet<StateType> = new Set([
  StateType.COMPLETED,
  StateType.FAILED,
  StateType.CANCELLED,
  StateType.CRASHED,
]);

/**
 * The history, oldest first: one line per state (number, time, time since the previous
 * state, state, decision), then the rules that fired and fizzled and the state's message.
 */
export function timeline(states: readonly State[]): string {
  if (states.length === 0) return "  (no states)";
  const labels = states.map((state) => stateLabel(state.type, state.name));
  const width = Math.max(...labels.map((label) => label.length));
  const lines: string[] = [];
  states.forEach((state, index) => {
    const previous = states[index - 1]?.timestamp;
    const since =
      previous === undefined || state.timestamp === undefined
        ? ""
        : `+${seconds(timestampDate(state.timestamp).getTime() - timestampDate(previous).getTime())}`;
    lines.push(
      `  ${String(index + 1).padStart(2)}  ${time(state.timestamp)}  ${since.padEnd(8)}  ${labels[index]!.padEnd(width)}  ${decisionSummary(state)}`,
    );
    const details: [string, string][] = [];
    if (state.decision !== undefined) {
      details.push(["fired", list(state.decision.firedRules)]);
      if (state.decision.fizzledRules.length > 0) {
        details.push(["fizzled", list(state.decision.fizzledRules)]);
      }
    }
    if (state.message !== "") details.push(["message", state.message]);
    if (details.length > 0) lines.push(keyValues(details, { indent: "      ", keyWidth: 7 }));
  });
  return lines.join("\n");
}

/**
 * What `runs show` and `tasks show` print: `{<key>: run, states}` as JSON, or the run's block
 * and its timeline.
 */
export async function printRunWithHistory(
  context: CliContext,
  run: { readonly key: string; readonly json: JsonValue; readonly block: () => Promise<string> },
  states: readonly State[],
): Promise<void> {
  if (context.json) {
    context.printJson({ [run.key]: run.json, states: states.map((s) => toJson(StateSchema, s)) });
    return;
  }
  context.print(await run.block());
  context.print("\nHistory (oldest first):");
  context.print(timeline(states));
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${Number((ms / 1000).toFixed(1))}s`;
}

/**
 * Prints every state a Watch stream sends (the current one first), as lines or as one JSON
 * object per line; stops after a final state unless `follow`.
 */
export async function printWatch(
  context: CliContext,
  stream: AsyncIterable<{ state?: State }>,
  follow: boolean,
): Promise<ExitCode> {
  for await (const { state } of stream) {
    if (state === undefined) continue;
    if (context.json) context.io.stdout.write(`${JSON.stringify(toJson(StateSchema, state))}\n`);
    else context.print(stateLine(state));
    if (!follow && FINAL_STATE_TYPES.has(state.type)) break;
  }
  return ExitCode.OK;
}
