/**
 * The state-change event of a flow run (spec §4.1, InstrumentFlowRunStateTransitions): what
 * it says is part of the observable contract (WatchFlowRun streams it from the outbox), so
 * names, resource labels and the payload follow Prefect's shape exactly.
 */
import type { FlowRun, JsonValue, State } from "../domain/index.ts";
import type { RunStateEvent } from "./ports.ts";

/** Events follow the initial state's event only if it is this recent (5 minutes). */
const FOLLOWS_WINDOW_MS = 5 * 60 * 1000;

/**
 * Prefect's `truncated_to`: values up to `length` characters are kept; longer ones keep
 * the first and last `length/2` characters around "...N additional characters...", unless
 * that is not shorter than the original. Empty and absent values become "".
 */
export function truncated(length: number, value: string | null | undefined): string {
  if (!value) return "";
  if (value.length <= length) return value;
  const half = Math.floor(length / 2);
  const beginning = value.slice(0, half);
  const end = half === 0 ? "" : value.slice(-half);
  const omitted = value.length - (beginning.length + end.length);
  const proposed = `${beginning}...${omitted} additional characters...${end}`;
  return proposed.length < value.length ? proposed : value;
}

/** What the event of one committed flow-run state is built from. */
export interface FlowRunEventInput {
  readonly run: FlowRun;
  readonly initial: State | null;
  readonly validated: State;
  readonly related: readonly Readonly<Record<string, string>>[];
  readonly truncateAt: number;
}

/** The `prefect.flow-run.<state name>` event of a committed flow-run state. */
export function flowRunStateEvent(input: FlowRunEventInput): RunStateEvent {
  const { run, initial, validated, truncateAt } = input;
  const occurred = validated.timestamp;
  const follows =
    initial !== null &&
    Math.abs(occurred.getTime() - initial.timestamp.getTime()) < FOLLOWS_WINDOW_MS
      ? initial.id
      : null;
  return {
    event: `prefect.flow-run.${validated.name}`,
    id: validated.id,
    occurred,
    follows,
    resource: {
      "prefect.resource.id": `prefect.flow-run.${run.id}`,
      "prefect.resource.name": run.name,
      "prefect.run-count": String(run.runCount),
      "prefect.state-message": truncated(truncateAt, validated.message),
      "prefect.state-name": validated.name || "",
      "prefect.state-timestamp": occurred.toISOString(),
      "prefect.state-type": validated.type,
    },
    related: input.related,
    payload: {
      intended: { from: initial?.type ?? null, to: validated.type },
      initial_state: statePayload(initial, truncateAt),
      validated_state: statePayload(validated, truncateAt),
    },
  };
}

function statePayload(state: State | null, truncateAt: number): JsonValue {
  if (state === null) return null;
  const payload: Record<string, JsonValue> = { type: state.type };
  if (state.name) payload.name = state.name;
  if (state.message) payload.message = truncated(truncateAt, state.message);
  if (state.type === "PAUSED") {
    payload.pause_reschedule = state.stateDetails.pauseReschedule ? "true" : "false";
  }
  return payload;
}
