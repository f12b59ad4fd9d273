/**
 * An orchestration result on the command line: its words (the outcome, its reason, where the
 * run is or would be, and for a dry run why) and its exit code.
 */
import {
  type OrchestrationResult,
  SetStateStatus,
} from "../../../gen/flowgate/v1/orchestration_pb.js";
import { ExitCode } from "../exit-codes.ts";
import { keyValues, list, stateLabel, statusName } from "../format.ts";

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
