/**
 * Cancellation cleanup (spec §5.5, Prefect's CancellationCleanup): when a flow run is
 * CANCELLED, whatever still runs inside it must stop too.
 *
 * - Its subflows that are not terminal are asked to stop: a deployed subflow goes to
 *   CANCELLING (its worker must kill the infrastructure; one already CANCELLING is left to
 *   that worker or to the CANCELLING timeout), any other subflow straight to CANCELLED.
 *   Prefect proposes these without a policy, which is the forced path (MinimalFlowPolicy),
 *   so BypassCancellingFlowRunsWithNoInfra still turns a Scheduled subflow without
 *   infrastructure into CANCELLED.
 * - Its task runs that are not terminal are forced to CANCELLED (MinimalTaskPolicy, which
 *   releases their tag slots).
 *
 * Subflows go first: a subflow's new state is mirrored onto its parent task run
 * (UpdateSubflowParentTask), which would otherwise put a task cancelled a moment earlier
 * back into CANCELLING until the next tick. Every proposal is guarded by the state the run
 * was selected in, so a run that moved on meanwhile is left alone; cleanup cascades down
 * nested subflows one level per CANCELLED parent, tick after tick.
 */
import type { BackgroundQueries, ExclusiveLocks } from "../application/background.ts";
import type { FlowRunProposer, TaskRunProposer } from "../application/orchestration-observer.ts";
import { StateType } from "../domain/index.ts";
import type { Logger } from "../logger.ts";
import { proposeForCandidates, proposeInState, proposeTaskInState } from "./proposals.ts";
import { type BackgroundService, ExclusiveTicks, type TickResult } from "./service.ts";

/** Advisory lock key of this service. */
export const CANCELLATION_CLEANUP_LOCK_KEY = 5;
/** The message of every state this service proposes, as Prefect writes it. */
export const PARENT_CANCELLED_MESSAGE = "The parent flow run was cancelled.";
/** Prefect's batch size. */
const BATCH_SIZE = 200;

export interface CancellationCleanupOptions {
  readonly flowRuns: FlowRunProposer;
  readonly taskRuns: TaskRunProposer;
  readonly queries: BackgroundQueries;
  readonly locks: ExclusiveLocks;
  readonly log: Logger;
  readonly loopSeconds: number;
}

/** Cancels the unfinished task runs and subflows of CANCELLED flow runs. */
export class CancellationCleanup implements BackgroundService {
  readonly name = "cancellation-cleanup";
  readonly intervalSeconds: number;
  readonly #options: CancellationCleanupOptions;
  readonly #ticks: ExclusiveTicks;

  constructor(options: CancellationCleanupOptions) {
    this.#options = options;
    this.intervalSeconds = options.loopSeconds;
    this.#ticks = new ExclusiveTicks(options.locks, CANCELLATION_CLEANUP_LOCK_KEY);
  }

  runOnce(signal?: AbortSignal): Promise<TickResult> {
    return this.#ticks.run(async () => {
      const subflows = await this.#cancelSubflows(signal);
      if (signal?.aborted) return subflows;
      return subflows + (await this.#cancelTaskRuns(signal));
    });
  }

  #cancelSubflows(signal: AbortSignal | undefined): Promise<number> {
    const { flowRuns, queries, log } = this.#options;
    return proposeForCandidates({
      find: () => queries.findSubflowsOfCancelledFlowRuns(BATCH_SIZE),
      propose: (subflow) =>
        proposeInState(flowRuns, subflow, {
          state: {
            type: subflow.hasDeployment ? StateType.CANCELLING : StateType.CANCELLED,
            message: PARENT_CANCELLED_MESSAGE,
          },
          force: true,
          signal,
        }),
      batchSize: BATCH_SIZE,
      signal,
      log: log.child({ service: this.name, kind: "subflow" }),
    });
  }

  #cancelTaskRuns(signal: AbortSignal | undefined): Promise<number> {
    const { taskRuns, queries, log } = this.#options;
    return proposeForCandidates({
      find: () => queries.findTaskRunsOfCancelledFlowRuns(BATCH_SIZE),
      propose: (taskRun) =>
        proposeTaskInState(taskRuns, taskRun, {
          state: { type: StateType.CANCELLED, message: PARENT_CANCELLED_MESSAGE },
          force: true,
          signal,
        }),
      batchSize: BATCH_SIZE,
      signal,
      log: log.child({ service: this.name, kind: "task run" }),
    });
  }
}
