/**
 * The composition root: opens the database, builds repositories and use cases, and puts
 * them behind the gRPC server. Nothing else wires concrete implementations together.
 */
import { DeploymentUseCases } from "./application/deployments.ts";
import { FlowUseCases } from "./application/flows.ts";
import type { Config } from "./config.ts";
import type { Logger } from "./logger.ts";
import { openDatabase } from "./persistence/database.ts";
import { MikroDeploymentRepository } from "./persistence/deployment-repository.ts";
import { MikroFlowRepository } from "./persistence/flow-repository.ts";
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
  const flows = new FlowUseCases(() => new MikroFlowRepository(orm.em.fork()));
  const deployments = new DeploymentUseCases(() => new MikroDeploymentRepository(orm.em.fork()));
  const server = createGrpcServer({ flows, deployments }, log);
  let port: number;
  try {
    port = await server.listen(config.host, config.port);
  } catch (error) {
    await database.close();
    throw error;
  }
  log.info({ host: config.host, port }, "flowgate listening");
  return {
    port,
    async stop() {
      await server.shutdown(config.shutdownGraceMs);
      await database.close();
    },
  };
}
