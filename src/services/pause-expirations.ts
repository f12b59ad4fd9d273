/**
 * Pause expiration (spec §5.5, Prefect's FailExpiredPauses): a run paused with a timeout
 * that passed can no longer resume, so it is failed by force (MinimalFlowPolicy). Only a run
 * still in the expired pause state is failed: one resumed meanwhile is left alone.
 */
import type { BackgroundQueries, ExclusiveLocks } from "../application/background.ts";
import type { FlowRunProposer } from "../application/orchestration-observer.ts";
import { StateType } from "../domain/index.ts";
import type { Logger } from "../logger.ts";
import type { Clock } from "../orchestration/index.ts";
import { proposeForCandidates, proposeInState } from "./proposals.ts";
import { type BackgroundService, ExclusiveTicks, type TickResult } from "./service.ts";

/** Advisory lock key of this service. */
export const PAUSE_EXPIRATIONS_LOCK_KEY = 2;
/** The Failed state's message, as Prefect writes it. */
export const PAUSE_EXPIRED_MESSAGE = "The flow was paused and never resumed.";
const BATCH_SIZE = 200;

export interface FailExpiredPausesOptions {
  readonly flowRuns: FlowRunProposer;
  readonly queries: BackgroundQueries;
  readonly locks: ExclusiveLocks;
  readonly clock: Clock;
  readonly log: Logger;
  readonly loopSeconds: number;
}

/** Fails PAUSED runs whose pause timeout has passed. */
export class FailExpiredPauses implements BackgroundService {
  readonly name = "pause-expirations";
  readonly intervalSeconds: number;
  readonly #options: FailExpiredPausesOptions;
  readonly #ticks: ExclusiveTicks;

  constructor(options: FailExpiredPausesOptions) {
    this.#options = options;
    this.intervalSeconds = options.loopSeconds;
    this.#ticks = new ExclusiveTicks(options.locks, PAUSE_EXPIRATIONS_LOCK_KEY);
  }

  runOnce(signal?: AbortSignal): Promise<TickResult> {
    return this.#ticks.run(() => this.#failExpired(signal));
  }

  #failExpired(signal: AbortSignal | undefined): Promise<number> {
    const { flowRuns, queries, clock, log } = this.#options;
    const now = clock.now();
    return proposeForCandidates({
      find: () => queries.findExpiredPauses(now, BATCH_SIZE),
      propose: (run) =>
        proposeInState(flowRuns, run, {
          state: { type: StateType.FAILED, message: PAUSE_EXPIRED_MESSAGE },
          force: true,
          signal,
        }),
      batchSize: BATCH_SIZE,
      signal,
      log: log.child({ service: this.name }),
    });
  }
}
