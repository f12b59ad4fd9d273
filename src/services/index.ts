/**
 * The background services (spec §5.5 and the lease reaper), built from the configuration,
 * and their loops started and stopped together.
 */
import type {
  BackgroundQueries,
  ExclusiveLocks,
  ExpiredLeaseReaper,
} from "../application/background.ts";
import {
  type FlowRunProposer,
  type OrchestrationObserver,
  observedFlowRuns,
  observedTaskRuns,
  type TaskRunProposer,
} from "../application/orchestration-observer.ts";
import type { BackgroundServicesConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { Clock, IdGenerator } from "../orchestration/index.ts";
import { CancellationCleanup } from "./cancellation-cleanup.ts";
import { CancelStaleCancelling } from "./cancelling-timeout.ts";
import { MarkLateRuns } from "./late-runs.ts";
import { ReapExpiredLeases } from "./lease-reaper.ts";
import { ServiceLoop, type TickObserver } from "./loop.ts";
import { FailExpiredPauses } from "./pause-expirations.ts";
import type { BackgroundService } from "./service.ts";

export {
  CANCELLATION_CLEANUP_LOCK_KEY,
  CancellationCleanup,
  PARENT_CANCELLED_MESSAGE,
} from "./cancellation-cleanup.ts";
export {
  CANCELLING_TIMEOUT_LOCK_KEY,
  CANCELLING_TIMEOUT_MESSAGE,
  CancelStaleCancelling,
} from "./cancelling-timeout.ts";
export { LATE_RUNS_LOCK_KEY, MarkLateRuns } from "./late-runs.ts";
export { LEASE_REAPER_LOCK_KEY, ReapExpiredLeases } from "./lease-reaper.ts";
export { ServiceLoop } from "./loop.ts";
export {
  FailExpiredPauses,
  PAUSE_EXPIRATIONS_LOCK_KEY,
  PAUSE_EXPIRED_MESSAGE,
} from "./pause-expirations.ts";
export type { BackgroundService, TickResult } from "./service.ts";

/** The origin of the background services' proposals in their telemetry. */
const BACKGROUND = "background";

/** What the services need, all injected (the clock too, so tests drive ticks). */
export interface BackgroundServiceDeps {
  readonly flowRuns: FlowRunProposer;
  readonly taskRuns: TaskRunProposer;
  readonly queries: BackgroundQueries;
  readonly reaper: ExpiredLeaseReaper;
  readonly locks: ExclusiveLocks;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly log: Logger;
  /** Records each proposal (a span and a count), as the RPCs' orchestrations are. */
  readonly observer?: OrchestrationObserver | undefined;
}

/**
 * The five services with the configured intervals. Cancellation cleanup shares
 * `cancellationLoopSeconds` with the CANCELLING timeout, as in Prefect (one service there).
 */
export function createBackgroundServices(
  deps: BackgroundServiceDeps,
  config: BackgroundServicesConfig,
): BackgroundService[] {
  const { queries, reaper, locks, clock, ids, log, observer } = deps;
  const flowRuns = observer ? observedFlowRuns(deps.flowRuns, observer, BACKGROUND) : deps.flowRuns;
  const taskRuns = observer ? observedTaskRuns(deps.taskRuns, observer, BACKGROUND) : deps.taskRuns;
  return [
    new MarkLateRuns({
      flowRuns,
      queries,
      locks,
      clock,
      log,
      loopSeconds: config.lateRunsLoopSeconds,
      afterSeconds: config.lateRunsAfterSeconds,
    }),
    new FailExpiredPauses({
      flowRuns,
      queries,
      locks,
      clock,
      log,
      loopSeconds: config.pauseExpirationLoopSeconds,
    }),
    new CancelStaleCancelling({
      flowRuns,
      queries,
      locks,
      clock,
      ids,
      log,
      loopSeconds: config.cancellationLoopSeconds,
      cancellingTimeoutSeconds: config.cancellingTimeoutSeconds,
    }),
    new CancellationCleanup({
      flowRuns,
      taskRuns,
      queries,
      locks,
      log,
      loopSeconds: config.cancellationLoopSeconds,
    }),
    new ReapExpiredLeases({
      reaper,
      locks,
      clock,
      log,
      loopSeconds: config.leaseReaperLoopSeconds,
    }),
  ];
}

/** Running loops; `stop` aborts them all and waits for their ticks in flight. */
export interface RunningServices {
  stop(): Promise<void>;
}

/** Starts one loop per service (each ticks at once, then every interval). */
export function startBackgroundServices(
  services: readonly BackgroundService[],
  log: Logger,
  observe?: TickObserver,
): RunningServices {
  const loops = services.map((service) => new ServiceLoop(service, log, observe));
  for (const loop of loops) loop.start();
  log.info({ services: services.map((s) => s.name) }, "background services started");
  return {
    async stop() {
      await Promise.all(loops.map((loop) => loop.stop()));
    },
  };
}
