/**
 * ResumeFlowRun (spec §5.2): check that the run is paused, validate the run input against
 * the JSON Schema stored for the pause, propose RUNNING (or a "Resuming" reschedule) through
 * the core policy, and on ACCEPT store the input as the pause's response in the same
 * transaction as the transition. Like Prefect, the paused check reads without the lock;
 * the policy then re-checks under it (HandleResumingPausedFlows). Validation failures answer REJECT with abort
 * details and the current state, as Prefect does.
 */
import { Ajv, type ValidateFunction } from "ajv";
import { type JsonValue, NotFoundError, RunNotFoundError, type State } from "../domain/index.ts";
import { abortDetails, type ResponseDetails, SetStateStatus } from "../orchestration/index.ts";
import type { FlowRunStore } from "./flow-run-store.ts";
import type { FlowOrchestrationResult, FlowRunUseCases } from "./flow-runs.ts";

/** A resume refused before the policy ran: no orchestration context exists. */
export interface RefusedResume {
  readonly state: State | null;
  readonly status: SetStateStatus;
  readonly details: ResponseDetails;
  readonly context: null;
}

export class ResumeFlowRun {
  readonly #store: FlowRunStore;
  readonly #flowRuns: FlowRunUseCases;

  constructor(store: FlowRunStore, flowRuns: FlowRunUseCases) {
    this.#store = store;
    this.#flowRuns = flowRuns;
  }

  async resume(
    flowRunId: string,
    runInput: Record<string, JsonValue> | null,
  ): Promise<FlowOrchestrationResult | RefusedResume> {
    const record = await this.#store.find(flowRunId);
    if (record === null) throw new RunNotFoundError("flow_run", flowRunId); // Fix §8.3.8
    const state = record.state;
    if (state === null || state.type !== "PAUSED") {
      return refused(null, SetStateStatus.ABORT, "Cannot resume a flow run that is not paused.");
    }
    const keyset = state.stateDetails.runInputKeyset ?? null;
    let hydrated: JsonValue | null = null;
    if (keyset !== null) {
      const checked = await this.#checkInput(flowRunId, keyset, runInput ?? {});
      if ("error" in checked) return refused(state, SetStateStatus.REJECT, checked.error);
      hydrated = checked.input;
    }
    const now = new Date();
    return this.#flowRuns.setState({
      flowRunId,
      state: state.stateDetails.pauseReschedule
        ? { type: "SCHEDULED", name: "Resuming", stateDetails: { scheduledTime: now } }
        : { type: "RUNNING" },
      force: false,
      beforeCommit: async (tx, result) => {
        const responseKey = keyset?.response;
        if (
          result.status === SetStateStatus.ACCEPT &&
          responseKey &&
          runInput &&
          Object.keys(runInput).length > 0
        ) {
          await tx.putInput(flowRunId, responseKey, JSON.stringify(hydrated));
        }
      },
    });
  }

  async #checkInput(
    flowRunId: string,
    keyset: Record<string, string>,
    runInput: Record<string, JsonValue>,
  ): Promise<{ input: JsonValue } | { error: string }> {
    let input: JsonValue;
    try {
      input = hydrate(runInput);
    } catch (error) {
      return { error: `Error hydrating run input: ${(error as Error).message}` };
    }
    const schemaText =
      keyset.schema === undefined
        ? null
        : await this.#flowRuns.getInput(flowRunId, keyset.schema).catch(notFoundAsNull);
    if (schemaText === null) return { error: "Run input schema not found." };
    let schema: unknown;
    try {
      schema = JSON.parse(schemaText);
    } catch {
      return { error: "Run input schema is not valid JSON." };
    }
    let validate: ValidateFunction;
    try {
      validate = new Ajv({ allErrors: false, strict: false }).compile(schema as object);
    } catch (error) {
      return { error: `Invalid schema: ${(error as Error).message}` };
    }
    if (!validate(input)) {
      const first = validate.errors?.[0];
      return {
        error: `Reason: ${first ? `${first.instancePath || "input"} ${first.message}` : "invalid input"}`,
      };
    }
    return { input };
  }
}

function notFoundAsNull(error: unknown): null {
  if (error instanceof NotFoundError) return null;
  throw error;
}

/** Server-side placeholders: `{"__prefect_kind": "json", "value": "<json text>"}` becomes the parsed value. */
function hydrate(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(hydrate);
  if (value === null || typeof value !== "object") return value;
  const kind = value.__prefect_kind;
  if (kind === "json") {
    if (typeof value.value !== "string") throw new Error("Invalid JSON: value must be a string");
    try {
      return JSON.parse(value.value) as JsonValue;
    } catch (error) {
      throw new Error(`Invalid JSON: ${(error as Error).message}`);
    }
  }
  if (kind !== undefined) throw new Error(`unsupported placeholder kind ${JSON.stringify(kind)}`);
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, hydrate(inner)]));
}

/** A resume that never reached the policy: REJECT/ABORT with abort details (spec §1.8 quirk). */
function refused(state: State | null, status: SetStateStatus, reason: string): RefusedResume {
  return { state, status, details: abortDetails(reason), context: null };
}
