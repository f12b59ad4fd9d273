/**
 * What flow runs and task runs share on the command line: a run's state history as a
 * timeline (each state with the decision that wrote it: the policy, the rules that fired and
 * fizzled), watching a run's transitions, and explaining an orchestration result.
 */
import { toJson } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  type OrchestrationResult,
  SetStateStatus,
} from "../../../gen/flowgate/v1/orchestration_pb.js";
import { type State, StateSchema, StateType } from "../../../gen/flowgate/v1/states_pb.js";
import type { CliContext } from "../context.ts";
import { ExitCode } from "../exit-codes.ts";
import {
  decisionSummary,
  keyValues,
  list,
  stateLabel,
  stateLine,
  statusName,
  time,
} from "../format.ts";

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

/** The exit code of an orchestration outcome. */
export function exitCodeOf(status: SetStateStatus): ExitCode {
  switch (status) {
    case SetStateStatus.ACCEPT:
      return ExitCode.OK;
    case SetStateStatus.REJECT:
      return ExitCode.REJECT;
    case SetStateStatus.WAIT:
      return ExitCode.WAIT;
    case SetStateStatus.ABORT:
      return ExitCode.ABORT;
    default:
      return ExitCode.ERROR;
  }
}

/**
 * An orchestration result in words: the outcome and its reason, where the run is (or would
 * be) now, and — for a dry run, which exists to answer "why?" — the policy and the rules
 * that fired and fizzled.
 */
export function explainResult(result: OrchestrationResult, dryRun: boolean): string {
  const reason = reasonOf(result);
  const wait =
    result.details.case === "wait" ? ` (retry in ${result.details.value.delaySeconds}s)` : "";
  const headline = `${dryRun ? "Would " : ""}${statusName(result.status)}${wait}${reason === "" ? "" : `: ${reason}`}`;
  const lines = [
    ...(dryRun ? ["Dry run: nothing was written."] : []),
    headline,
    whereTheRunIs(result, dryRun),
  ];
  if (dryRun) lines.push("", whyBlock(result));
  return lines.join("\n");
}

/**
 * The policy and its rules behind a result: from the decision of the state it wrote, else
 * (nothing written) from the orchestration context, whose lists include the transforms.
 */
function whyBlock(result: OrchestrationResult): string {
  const context = result.context;
  const decision = writesNewState(result) ? result.state?.decision : undefined;
  if (decision !== undefined) {
    return keyValues([
      ["policy", decision.policy],
      ["rules fired", list(decision.firedRules)],
      ["rules fizzled", list(decision.fizzledRules)],
    ]);
  }
  return keyValues([
    ["policy", context?.policy ?? ""],
    ["entered", list(context?.ruleSignature ?? [])],
    ["fizzled", list(context?.fizzledRules ?? [])],
  ]);
}

function writesNewState(result: OrchestrationResult): boolean {
  return result.state !== undefined && result.state.id !== result.context?.initialState?.id;
}

/** Where the result leaves the run: a new state, or the one it was in. */
function whereTheRunIs(result: OrchestrationResult, dryRun: boolean): string {
  const state = result.state;
  if (state === undefined) return "The run has no state.";
  const label = stateLabel(state.type, state.name);
  if (!writesNewState(result)) return `The run ${dryRun ? "would stay" : "stays"} in ${label}.`;
  return `The run ${dryRun ? "would go to" : "is now in"} ${label}.`;
}

/** The reason of a REJECT, WAIT or ABORT; ACCEPT has none. */
function reasonOf(result: OrchestrationResult): string {
  const details = result.details;
  return details.case === "reject" || details.case === "wait" || details.case === "abort"
    ? details.value.reason
    : "";
}
