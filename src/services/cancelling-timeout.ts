/**
 * CANCELLING timeout (spec §5.5, Prefect's cancellation cleanup): a run asked to cancel
 * whose infrastructure never confirmed within `cancellingTimeoutSeconds` is proposed
 * Cancelled through CoreFlowPolicy (not forced), with a state id chosen before the
 * proposal. Child task runs and subflows are cleaned up once task runs exist.
 */
import type { BackgroundQueries, ExclusiveLocks } from "../application/background.ts";
import type { FlowRunProposer } from "../application/orchestration-observer.ts";
import { StateType } from "../domain/index.ts";
import type { Logger } from "../logger.ts";
import { type Clock, CoreFlowPolicy, type IdGenerator } from "../orchestration/index.ts";
import { proposeForCandidates, proposeInState } from "./proposals.ts";
import { type BackgroundService, ExclusiveTicks, type TickResult } from "./service.ts";

/** Advisory lock key of this service. */
export const CANCELLING_TIMEOUT_LOCK_KEY = 3;
/** The Cancelled state's message, as Prefect writes it. */
export const CANCELLING_TIMEOUT_MESSAGE =
  "Flow run cancellation timed out; marked this flow run as Cancelled.";
const BATCH_SIZE = 200;

export interface CancelStaleCancellingOptions {
  readonly flowRuns: FlowRunProposer;
  readonly queries: BackgroundQueries;
  readonly locks: ExclusiveLocks;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly log: Logger;
  readonly loopSeconds: number;
  readonly cancellingTimeoutSeconds: number;
}

/** Cancels runs that have been CANCELLING for longer than the timeout. */
export class CancelStaleCancelling implements BackgroundService {
  readonly name = "cancelling-timeout";
  readonly intervalSeconds: number;
  readonly #options: CancelStaleCancellingOptions;
  readonly #ticks: ExclusiveTicks;

  constructor(options: CancelStaleCancellingOptions) {
    this.#options = options;
    this.intervalSeconds = options.loopSeconds;
    this.#ticks = new ExclusiveTicks(options.locks, CANCELLING_TIMEOUT_LOCK_KEY);
  }

  runOnce(signal?: AbortSignal): Promise<TickResult> {
    return this.#ticks.run(() => this.#cancelStale(signal));
  }

  #cancelStale(signal: AbortSignal | undefined): Promise<number> {
    const { flowRuns, queries, clock, ids, cancellingTimeoutSeconds, log } = this.#options;
    const enteredBefore = new Date(clock.now().getTime() - cancellingTimeoutSeconds * 1000);
    return proposeForCandidates({
      find: () => queries.findStaleCancelling(enteredBefore, BATCH_SIZE),
      propose: (run) =>
        proposeInState(flowRuns, run, {
          state: { type: StateType.CANCELLED, message: CANCELLING_TIMEOUT_MESSAGE },
          force: false,
          policy: CoreFlowPolicy,
          stateId: ids.newId(),
          signal,
        }),
      batchSize: BATCH_SIZE,
      signal,
      log: log.child({ service: this.name }),
    });
  }
}
