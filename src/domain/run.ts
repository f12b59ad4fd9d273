/**
 * Runs: the flow runs and task runs whose states orchestration moves.
 *
 * These are plain shapes of the fields orchestration reads and writes (spec §1.5–1.6).
 * Persistence hands rules an object of this shape whose mutations are saved with the
 * transition's transaction; rules never know how.
 */
import type { StateType } from "./state-type.ts";

/** Which kind of run a state belongs to. */
export type RunKind = "flow_run" | "task_run";

/** Fields common to flow and task runs that the global transforms maintain. */
export interface RunBookkeeping {
  readonly id: string;
  /** The current state row, set by the validate step. */
  stateId: string | null;
  stateType: StateType | null;
  stateName: string | null;
  stateTimestamp: Date | null;
  /** +1 on every counted entry into RUNNING. */
  runCount: number;
  expectedStartTime: Date | null;
  nextScheduledStartTime: Date | null;
  startTime: Date | null;
  endTime: Date | null;
  /** Accumulated time spent RUNNING, in seconds (fractional). */
  totalRunTime: number;
  tags: string[];
}

/** How retries of a flow run are scheduled: in the same process, or rescheduled. */
export type RetryType = "in_process" | "reschedule";

/** A flow run's `empirical_policy` (spec §1.6). */
export interface FlowRunPolicy {
  retries: number | null;
  /** Seconds between automatic retries. */
  retryDelay: number | null;
  /** Keys of pauses already taken; set semantics, order irrelevant. */
  pauseKeys: string[];
  /** The run resumes from a pause: its next RUNNING is not a new run. */
  resuming: boolean;
  retryType: RetryType | null;
}

/** A task run's `empirical_policy` (spec §1.6). */
export interface TaskRunPolicy {
  retries: number | null;
  /** Seconds, or one value per retry (at most 50). */
  retryDelay: number | number[] | null;
  /** ≥ 0 when set. */
  retryJitterFactor: number | null;
}

/** Who created a flow run (read for event provenance). */
export interface CreatedBy {
  readonly type: string;
  readonly id: string | null;
  readonly displayValue: string | null;
}

/** A flow run, as orchestration sees it. */
export interface FlowRun extends RunBookkeeping {
  readonly flowId: string;
  name: string;
  deploymentId: string | null;
  /** Set for subflow runs: the task run in the parent flow that stands for this run. */
  parentTaskRunId: string | null;
  infrastructurePid: string | null;
  workQueueId: string | null;
  idempotencyKey: string | null;
  createdBy: CreatedBy | null;
  empiricalPolicy: FlowRunPolicy;
}

/** A task run, as orchestration sees it. */
export interface TaskRun extends RunBookkeeping {
  /** `null` for autonomous (background) task runs. */
  readonly flowRunId: string | null;
  name: string;
  readonly taskKey: string;
  readonly dynamicKey: string;
  /** The parent flow run's run count when this task last entered RUNNING. */
  flowRunRunCount: number;
  cacheKey: string | null;
  cacheExpiration: Date | null;
  empiricalPolicy: TaskRunPolicy;
}

/** Either kind of run. */
export type Run = FlowRun | TaskRun;

/** The default flow-run policy: no retries, not resuming. */
export function defaultFlowRunPolicy(): FlowRunPolicy {
  return { retries: null, retryDelay: null, pauseKeys: [], resuming: false, retryType: null };
}

/** The default task-run policy: no retries. */
export function defaultTaskRunPolicy(): TaskRunPolicy {
  return { retries: null, retryDelay: null, retryJitterFactor: null };
}
