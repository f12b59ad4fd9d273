/**
 * Late-run marking (spec §5.5, Prefect's MarkLateRuns): a run still "Scheduled" some time
 * after its start time was not picked up; it is proposed `Late` (a SCHEDULED state) with
 * MarkLateRunsPolicy, which refuses runs that are not Scheduled and cancels runs of a full
 * CANCEL_NEW deployment instead.
 */
import type { BackgroundQueries, ExclusiveLocks } from "../application/background.ts";
import type { FlowRunProposer } from "../application/orchestration-observer.ts";
import { StateType } from "../domain/index.ts";
import type { Logger } from "../logger.ts";
import { type Clock, MarkLateRunsPolicy } from "../orchestration/index.ts";
import { proposeForCandidates, proposeInState } from "./proposals.ts";
import { type BackgroundService, ExclusiveTicks, type TickResult } from "./service.ts";

/** Advisory lock key of this service. */
export const LATE_RUNS_LOCK_KEY = 1;
/** Prefect's batch size. */
const BATCH_SIZE = 400;

export interface MarkLateRunsOptions {
  readonly flowRuns: FlowRunProposer;
  readonly queries: BackgroundQueries;
  readonly locks: ExclusiveLocks;
  readonly clock: Clock;
  readonly log: Logger;
  readonly loopSeconds: number;
  /** How long past its start time a Scheduled run becomes Late. */
  readonly afterSeconds: number;
}

/** Marks Scheduled runs whose start time passed more than `afterSeconds` ago as Late. */
export class MarkLateRuns implements BackgroundService {
  readonly name = "late-runs";
  readonly intervalSeconds: number;
  readonly #options: MarkLateRunsOptions;
  readonly #ticks: ExclusiveTicks;

  constructor(options: MarkLateRunsOptions) {
    this.#options = options;
    this.intervalSeconds = options.loopSeconds;
    this.#ticks = new ExclusiveTicks(options.locks, LATE_RUNS_LOCK_KEY);
  }

  runOnce(signal?: AbortSignal): Promise<TickResult> {
    return this.#ticks.run(() => this.#markLate(signal));
  }

  #markLate(signal: AbortSignal | undefined): Promise<number> {
    const { flowRuns, queries, clock, afterSeconds, log } = this.#options;
    const scheduledBefore = new Date(clock.now().getTime() - afterSeconds * 1000);
    return proposeForCandidates({
      find: () => queries.findLateRuns(scheduledBefore, BATCH_SIZE),
      propose: (run) =>
        proposeInState(flowRuns, run, {
          state: {
            type: StateType.SCHEDULED,
            name: "Late",
            stateDetails: { scheduledTime: run.nextScheduledStartTime },
          },
          force: false,
          policy: MarkLateRunsPolicy,
          signal,
        }),
      batchSize: BATCH_SIZE,
      signal,
      log: log.child({ service: this.name }),
    });
  }
}
