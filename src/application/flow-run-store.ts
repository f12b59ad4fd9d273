/**
 * What the flow-run use cases need from persistence: one transaction per orchestration, in
 * which the run is row-locked first and every port writes, plus plain reads.
 */
import type { FlowRun, FlowRunPolicy, JsonValue, State, StateType } from "../domain/index.ts";
import type {
  FlowOrchestrationDeps,
  FlowRunWithState,
  StateWriter,
} from "../orchestration/index.ts";
import type { Cursor } from "./paging.ts";

/** The fields a client gives a new flow run. */
export interface NewFlowRun {
  readonly flowId: string;
  readonly deploymentId: string | null;
  readonly name: string;
  readonly parameters: Record<string, JsonValue>;
  readonly tags: readonly string[];
  readonly parentTaskRunId: string | null;
  readonly infrastructurePid: string | null;
  readonly idempotencyKey: string | null;
  readonly empiricalPolicy: FlowRunPolicy;
}

/** A flow run as read back, with the fields only reads need. */
export interface FlowRunRecord {
  readonly run: FlowRun;
  readonly state: State | null;
  readonly parameters: Record<string, JsonValue>;
  readonly created: Date;
  readonly updated: Date;
}

export interface FlowRunFilter {
  readonly flowId: string | null;
  readonly deploymentId: string | null;
  readonly stateTypes: readonly StateType[];
  readonly tags: readonly string[];
}

/** How a store transaction ends besides success or failure. */
export interface TransactionOptions {
  /** A caller that gave up (deadline, cancellation): the transaction is rolled back. */
  readonly signal?: AbortSignal | undefined;
  /** Roll back even when `work` succeeds, and still resolve to its result (dry runs). */
  readonly rollback?: boolean | undefined;
}

/** One transaction of flow-run orchestration. */
export interface FlowRunTransaction {
  /** The run, row-locked (`FOR UPDATE`) until commit, with its current state. */
  lockFlowRun(flowRunId: string): Promise<FlowRunWithState | null>;
  /** Saves what orchestration changed on a run returned by `lockFlowRun` or `insertFlowRun`. */
  saveFlowRun(run: FlowRun): Promise<void>;
  /**
   * Inserts the run, or finds the one with the same (flow, idempotency key) and locks it.
   * `missing` names a referenced entity that does not exist.
   */
  insertFlowRun(
    fields: NewFlowRun,
  ): Promise<
    { run: FlowRun; state: State | null; created: boolean } | { missing: "flow" | "deployment" }
  >;
  /** Stores a run input (JSON text) under `key`; replaces an existing value. */
  putInput(flowRunId: string, key: string, value: string): Promise<void>;
  readInput(flowRunId: string, key: string): Promise<string | null>;
  readonly deps: FlowOrchestrationDeps;
  readonly stateWriter: StateWriter<FlowRun>;
}

export interface FlowRunStore {
  /** Runs `work` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(
    work: (tx: FlowRunTransaction) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T>;
  findFlowRun(flowRunId: string): Promise<FlowRunRecord | null>;
  listFlowRuns(
    filter: FlowRunFilter,
    limit: number,
    after: Cursor | undefined,
  ): Promise<FlowRunRecord[]>;
  /**
   * Deletes the run and its task runs and frees the concurrency slots they hold, in one
   * transaction; `false` when the run does not exist.
   */
  deleteFlowRun(flowRunId: string): Promise<boolean>;
  /** The run's states, oldest first; `null` when the run does not exist. */
  listStates(flowRunId: string): Promise<State[] | null>;
  /** Committed states of the run after the event sequence number `afterSeq`, in commit order. */
  statesSince(flowRunId: string, afterSeq: number): Promise<{ seq: number; state: State }[]>;
  /**
   * The run's current state and its highest event sequence number, read in one snapshot;
   * `null` when the run does not exist.
   */
  watchStart(flowRunId: string): Promise<{ state: State | null; seq: number } | null>;
}

/** Announces runs that have new committed events (PostgreSQL LISTEN/NOTIFY). */
export interface RunEventNotifications {
  /** Calls `onEvent` after each commit that added events for `runId`; returns the unsubscribe. */
  subscribe(runId: string, onEvent: () => void): () => void;
}
