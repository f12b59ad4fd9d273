/**
 * The composition root: opens the database, builds repositories and use cases, and puts
 * them behind the gRPC server (and the HTTP server, when enabled). Nothing else wires
 * concrete implementations together.
 */
import { uuidv7Ids } from "./application/system.ts";
import type { Config } from "./config.ts";
import type { Logger } from "./logger.ts";
import { defaultOrchestrationSettings } from "./orchestration/index.ts";
import { PgAdvisoryLocks } from "./persistence/advisory-locks.ts";
import { PgBackgroundQueries } from "./persistence/background-queries.ts";
import { openDatabase } from "./persistence/database.ts";
import { PgEventNotifications } from "./persistence/event-notifications.ts";
import { PgExpiredLeaseReaper } from "./persistence/lease-reaper.ts";
import { PgMetricsSource } from "./persistence/metrics-source.ts";
import { monitorDatabaseHealth } from "./services/database-health.ts";
import { createBackgroundServices, startBackgroundServices } from "./services/index.ts";
import { createGrpcServer } from "./transport/grpc/server.ts";
import { createHttpServer, type HttpServer } from "./transport/http/server.ts";
import { bearerTokenAuthenticator, edgeInterceptors } from "./transport/interceptors/index.ts";
import { Metrics } from "./transport/metrics.ts";
import { OrchestrationTelemetry } from "./transport/orchestration-telemetry.ts";
import { flowgateServices } from "./transport/services.ts";
import { createTracing, type Tracing } from "./transport/tracing.ts";
import { createUseCases } from "./use-cases.ts";

export interface App {
  /** The port the server is bound to. */
  readonly port: number;
  /** The port of Connect / gRPC-Web / JSON over HTTP, when enabled. */
  readonly httpPort: number | undefined;
  /** The port of the Prometheus endpoint, when enabled. */
  readonly metricsPort: number | undefined;
  /**
   * Stops the background loops, drains the server within the grace period, then closes the
   * database.
   */
  stop(): Promise<void>;
}

/** What a test may inject instead of building it from the config. */
export interface AppOverrides {
  /** Replaces the tracing built from `FLOWGATE_OTLP_ENDPOINT` (e.g. an in-memory exporter). */
  readonly tracing?: Tracing;
}

export async function startApp(
  config: Config,
  log: Logger,
  overrides: AppOverrides = {},
): Promise<App> {
  const database = await openDatabase(
    {
      ...config,
      poolSize: config.mesh.dbPoolSize,
      acquireTimeoutMs: config.mesh.dbAcquireTimeoutMs,
    },
    log,
  );
  const { orm } = database;
  const settings = defaultOrchestrationSettings({
    tagSlotLeaseSeconds: config.tagSlotLeaseSeconds,
    strictDeploymentLimits: config.strictDeploymentLimits,
  });
  const notifications = new PgEventNotifications(database.url, log);
  const closers: (() => Promise<void>)[] = [
    () => closeWithin("the database", database.close(), DATABASE_CLOSE_DEADLINE_MS, log),
  ];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  try {
    await notifications.start();
    closers.push(() => notifications.close());
    const useCases = createUseCases(orm, notifications, settings, config.batching);
    const metrics =
      config.mesh.metricsPort === undefined
        ? undefined
        : new Metrics(new PgMetricsSource(orm, () => database.pool(), notifications));
    const tracing = overrides.tracing ?? createTracing({ otlpEndpoint: config.mesh.otlpEndpoint });
    // Flushed after the server has drained (closers run in reverse).
    closers.push(() => tracing.shutdown());
    if (config.mesh.otlpEndpoint !== undefined)
      log.info({ otlpHost: new URL(config.mesh.otlpEndpoint).host }, "exporting traces over OTLP");
    if (config.mesh.authTokens !== undefined)
      log.info({ tokens: config.mesh.authTokens.length }, "authentication on");
    const orchestrations = new OrchestrationTelemetry(metrics, tracing);
    const services = flowgateServices(useCases, orchestrations);
    // One edge for both servers: the same auth, admission, deadlines, logs, metrics, traces.
    const edge = edgeInterceptors({
      log,
      metrics,
      tracing,
      authenticate:
        config.mesh.authTokens === undefined
          ? undefined
          : bearerTokenAuthenticator(config.mesh.authTokens),
      maxInFlight: config.mesh.maxInFlight,
    });
    const server = createGrpcServer(services, {
      log,
      metrics,
      edge,
      keepaliveTimeMs: config.mesh.keepaliveTimeMs,
      keepaliveTimeoutMs: config.mesh.keepaliveTimeoutMs,
      maxConnectionAgeMs: config.mesh.maxConnectionAgeMs,
      maxConnectionAgeGraceMs: config.mesh.maxConnectionAgeGraceMs,
      tls: config.mesh.tls,
      maxMessageBytes: config.mesh.maxMessageBytes,
    });
    const port = await server.listen(config.host, config.port);
    let httpServer: HttpServer | undefined;
    // Both servers drain at once, within the same grace period.
    closers.push(async () => {
      await Promise.all([
        server.shutdown(config.shutdownGraceMs),
        httpServer?.shutdown(config.shutdownGraceMs),
      ]);
    });
    if (config.httpPort !== undefined)
      httpServer = createHttpServer(services, { log, edge, tls: config.mesh.tls });
    const httpPort = await httpServer?.listen(config.host, config.httpPort ?? 0);
    log.info({ host: config.host, port }, "flowgate listening");
    if (httpPort !== undefined) log.info({ host: config.host, port: httpPort }, "HTTP listening");
    if (config.mesh.tls !== undefined)
      log.info({ clientCertificates: config.mesh.tls.clientCaFile !== undefined }, "TLS on");
    const metricsEndpoint =
      metrics === undefined
        ? undefined
        : await metrics.listen(config.host, config.mesh.metricsPort ?? 0);
    if (metricsEndpoint !== undefined) {
      closers.push(() => metricsEndpoint.close());
      log.info({ port: metricsEndpoint.port }, "metrics listening");
    }
    const health = monitorDatabaseHealth(
      (signal) => database.ping(signal),
      (serving) => server.health.set(serving ? "SERVING" : "NOT_SERVING"),
      DATABASE_HEALTH_INTERVAL_MS,
      log,
    );
    closers.push(async () => health.stop());
    if (config.backgroundServices.enabled) {
      const locks = new PgAdvisoryLocks(database.url, log);
      closers.push(() => locks.close());
      const deps = {
        flowRuns: useCases.flowRuns,
        taskRuns: useCases.taskRuns,
        queries: new PgBackgroundQueries(orm),
        reaper: new PgExpiredLeaseReaper(orm),
        locks,
        clock: useCases.clock,
        ids: uuidv7Ids,
        log,
        observer: orchestrations,
      };
      const services = startBackgroundServices(
        createBackgroundServices(deps, config.backgroundServices),
        log,
        metrics && ((service, outcome) => metrics.backgroundRun(service, outcome)),
      );
      // Stopped first (closers run in reverse), so no tick starts against a closing pool.
      closers.push(() =>
        closeWithin("the background services", services.stop(), DATABASE_CLOSE_DEADLINE_MS, log),
      );
    }
    const stop = () => {
      // Streams end and readiness drops before anything else stops (closers run after).
      server.startDrain();
      httpServer?.startDrain();
      return closeAll();
    };
    return { port, httpPort, metricsPort: metricsEndpoint?.port, stop };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** How often health re-checks the database. */
const DATABASE_HEALTH_INTERVAL_MS = 2000;

/**
 * How long stopping the background services, and then closing the database, may each take at
 * shutdown: both wait for queries in flight, which a database that does not answer (a frozen
 * host, a network partition) never finishes.
 */
const DATABASE_CLOSE_DEADLINE_MS = 5000;

async function closeWithin(
  what: string,
  closing: Promise<void>,
  ms: number,
  log: Logger,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), ms);
  });
  try {
    if ((await Promise.race([closing, deadline])) === "late") {
      log.warn({ deadlineMs: ms }, `${what} did not close in time; leaving it to process exit`);
    }
  } finally {
    clearTimeout(timer);
  }
}
