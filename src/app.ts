/**
 * The composition root: opens the database, builds repositories and use cases, and puts
 * them behind the gRPC server. Nothing else wires concrete implementations together.
 */
import { DeploymentUseCases } from "./application/deployments.ts";
import { FlowRunUseCases } from "./application/flow-runs.ts";
import { FlowUseCases } from "./application/flows.ts";
import { LeaseUseCases } from "./application/leases.ts";
import { ResumeFlowRun } from "./application/resume-flow-run.ts";
import { systemClock, uuidv7Ids } from "./application/system.ts";
import { TagLimitUseCases } from "./application/tag-limits.ts";
import { TaskRunUseCases } from "./application/task-runs.ts";
import { RunWatcher } from "./application/watch-run.ts";
import type { Config } from "./config.ts";
import type { Logger } from "./logger.ts";
import { defaultOrchestrationSettings } from "./orchestration/index.ts";
import { PgAdvisoryLocks } from "./persistence/advisory-locks.ts";
import { PgBackgroundQueries } from "./persistence/background-queries.ts";
import { openDatabase } from "./persistence/database.ts";
import { MikroDeploymentRepository } from "./persistence/deployment-repository.ts";
import { PgEventNotifications } from "./persistence/event-notifications.ts";
import { MikroFlowRepository } from "./persistence/flow-repository.ts";
import { PgFlowRunStore } from "./persistence/flow-run-store.ts";
import { PgExpiredLeaseReaper } from "./persistence/lease-reaper.ts";
import { MikroTagLimitRepository } from "./persistence/tag-limit-repository.ts";
import { PgTaskRunStore } from "./persistence/task-run-store.ts";
import {
  createBackgroundServices,
  type RunningServices,
  startBackgroundServices,
} from "./services/index.ts";
import { createGrpcServer } from "./transport/grpc/server.ts";

export interface App {
  /** The port the server is bound to. */
  readonly port: number;
  /**
   * Stops the background loops, drains the server within the grace period, then closes the
   * database.
   */
  stop(): Promise<void>;
}

export async function startApp(config: Config, log: Logger): Promise<App> {
  const database = await openDatabase(config, log);
  const { orm } = database;
  const clock = systemClock;
  const settings = defaultOrchestrationSettings();
  const notifications = new PgEventNotifications(database.url, log);
  try {
    await notifications.start();
  } catch (error) {
    await database.close();
    throw error;
  }
  const flowRunStore = new PgFlowRunStore(orm, {
    clock,
    ids: uuidv7Ids,
    settings,
  });
  const flowRuns = new FlowRunUseCases(flowRunStore, clock, uuidv7Ids);
  const taskRunStore = new PgTaskRunStore(orm, {
    clock,
    ids: uuidv7Ids,
    settings,
    random: Math.random,
  });
  const server = createGrpcServer(
    {
      clock,
      flows: new FlowUseCases(() => new MikroFlowRepository(orm.em.fork())),
      deployments: new DeploymentUseCases(() => new MikroDeploymentRepository(orm.em.fork())),
      flowRuns,
      resumeFlowRun: new ResumeFlowRun(flowRunStore, flowRuns),
      flowRunWatcher: new RunWatcher(flowRunStore, notifications, "flow run"),
      leases: new LeaseUseCases(flowRunStore, taskRunStore, clock),
      tagLimits: new TagLimitUseCases(
        () =>
          new MikroTagLimitRepository(
            orm.em.fork(),
            clock,
            uuidv7Ids,
            settings.tagSlotLeaseSeconds,
          ),
      ),
      taskRuns: new TaskRunUseCases(taskRunStore, clock, uuidv7Ids),
      taskRunWatcher: new RunWatcher(taskRunStore, notifications, "task run"),
    },
    log,
  );
  let port: number;
  try {
    port = await server.listen(config.host, config.port);
  } catch (error) {
    await notifications.close();
    await database.close();
    throw error;
  }
  log.info({ host: config.host, port }, "flowgate listening");
  const locks = new PgAdvisoryLocks(database.url, log);
  let services: RunningServices | undefined;
  if (config.backgroundServices.enabled) {
    const deps = {
      flowRuns,
      queries: new PgBackgroundQueries(orm),
      reaper: new PgExpiredLeaseReaper(orm),
      locks,
      clock,
      ids: uuidv7Ids,
      log,
    };
    services = startBackgroundServices(
      createBackgroundServices(deps, config.backgroundServices),
      log,
    );
  }
  return {
    port,
    async stop() {
      // First, so no tick starts a transaction against a closing pool.
      await services?.stop();
      await locks.close();
      await server.shutdown(config.shutdownGraceMs);
      await notifications.close();
      await closeWithin(database.close(), DATABASE_CLOSE_DEADLINE_MS, log);
    },
  };
}

/**
 * How long closing the database may take at shutdown. A pooled connection that died inside a
 * transaction is never returned to the pool (Kysely skips the release when the rollback
 * fails), and the pool would wait for it forever; the loops make such a transaction likely
 * when the database goes away.
 */
const DATABASE_CLOSE_DEADLINE_MS = 5000;

async function closeWithin(closing: Promise<void>, ms: number, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), ms);
  });
  try {
    if ((await Promise.race([closing, deadline])) === "late") {
      log.warn({ deadlineMs: ms }, "database did not close in time; leaving it to process exit");
    }
  } finally {
    clearTimeout(timer);
  }
}
