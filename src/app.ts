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
import { FlowRunWatcher } from "./application/watch-flow-run.ts";
import type { Config } from "./config.ts";
import type { Logger } from "./logger.ts";
import { defaultOrchestrationSettings } from "./orchestration/index.ts";
import { openDatabase } from "./persistence/database.ts";
import { MikroDeploymentRepository } from "./persistence/deployment-repository.ts";
import { PgEventNotifications } from "./persistence/event-notifications.ts";
import { MikroFlowRepository } from "./persistence/flow-repository.ts";
import { PgFlowRunStore } from "./persistence/flow-run-store.ts";
import { createGrpcServer } from "./transport/grpc/server.ts";

export interface App {
  /** The port the server is bound to. */
  readonly port: number;
  /** Drains the server within the grace period, then closes the database. */
  stop(): Promise<void>;
}

export async function startApp(config: Config, log: Logger): Promise<App> {
  const database = await openDatabase(config, log);
  const { orm } = database;
  const clock = systemClock;
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
    settings: defaultOrchestrationSettings(),
  });
  const flowRuns = new FlowRunUseCases(flowRunStore, clock, uuidv7Ids);
  const server = createGrpcServer(
    {
      clock,
      flows: new FlowUseCases(() => new MikroFlowRepository(orm.em.fork())),
      deployments: new DeploymentUseCases(() => new MikroDeploymentRepository(orm.em.fork())),
      flowRuns,
      resumeFlowRun: new ResumeFlowRun(flowRunStore, flowRuns),
      flowRunWatcher: new FlowRunWatcher(flowRunStore, notifications),
      leases: new LeaseUseCases(flowRunStore),
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
  return {
    port,
    async stop() {
      await server.shutdown(config.shutdownGraceMs);
      await notifications.close();
      await database.close();
    },
  };
}
