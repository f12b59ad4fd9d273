/**
 * What the flow-run use cases need from persistence: the generic {@link RunStore} for flow
 * runs, whose transactions also reach the task runs of the same transaction (a subflow's
 * state is mirrored onto its parent task run in the subflow's transaction).
 */
import type { FlowRun, FlowRunPolicy, JsonValue, State, StateType } from "../domain/index.ts";
import type { FlowOrchestrationDeps } from "../orchestration/index.ts";
import type { RunStore, RunTransaction } from "./run-store.ts";
import type { TaskRunTransaction } from "./task-run-store.ts";

export type { TransactionOptions } from "./run-store.ts";

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

/** The flow-run ports persistence provides; the subflow mirror is the application's. */
export type FlowRunPorts = Omit<FlowOrchestrationDeps, "subflowParentTasks">;

/** A transaction of flow-run orchestration. */
export interface FlowRunTransaction extends RunTransaction<FlowRun, FlowRunPorts> {
  /** The task runs of the same transaction. */
  readonly taskRuns: TaskRunTransaction;
  /**
   * Inserts the run, or finds the one with the same (flow, idempotency key), and locks it.
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
}

export type FlowRunStore = RunStore<FlowRun, FlowRunTransaction, FlowRunRecord, FlowRunFilter>;

/** Announces runs that have new committed events (PostgreSQL LISTEN/NOTIFY). */
export interface RunEventNotifications {
  /** Calls `onEvent` after each commit that added events for `runId`; returns the unsubscribe. */
  subscribe(runId: string, onEvent: () => void): () => void;
}
