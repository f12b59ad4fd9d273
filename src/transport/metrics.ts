/**
 * Prometheus metrics (prom-client) on their own HTTP port. Names follow the Prometheus gRPC
 * conventions (grpc_server_*, as go-grpc-prometheus) and flowgate_* for orchestration.
 * Gauges that reflect the database (active slots, outbox lag, pool) are read at scrape time.
 */
import { createServer, type Server } from "node:http";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { MetricsSource } from "../application/metrics-source.ts";

export class Metrics {
  readonly registry = new Registry();
  readonly #handled = new Counter({
    name: "grpc_server_handled_total",
    help: "RPCs completed on the server, by method and status code.",
    labelNames: ["grpc_service", "grpc_method", "grpc_code"],
    registers: [this.registry],
  });
  readonly #latency = new Histogram({
    name: "grpc_server_handling_seconds",
    help: "Time to handle an RPC, by method.",
    labelNames: ["grpc_service", "grpc_method"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly #orchestrations = new Counter({
    name: "flowgate_orchestrations_total",
    help: "Orchestrations by policy and outcome (ACCEPT, REJECT, WAIT, ABORT).",
    labelNames: ["run_kind", "policy", "status"],
    registers: [this.registry],
  });
  readonly #ruleFirings = new Counter({
    name: "flowgate_rule_firings_total",
    help: "Rules and transforms whose before-hook ran.",
    labelNames: ["rule"],
    registers: [this.registry],
  });
  readonly #backgroundRuns = new Counter({
    name: "flowgate_background_service_runs_total",
    help: "Background service ticks by service and outcome.",
    labelNames: ["service", "outcome"],
    registers: [this.registry],
  });

  constructor(source: MetricsSource) {
    collectDefaultMetrics({ register: this.registry, prefix: "flowgate_process_" });
    new Gauge({
      name: "flowgate_concurrency_active_slots",
      help: "Active slots of each concurrency limit (deployment limits and tag limits).",
      labelNames: ["kind", "limit"],
      registers: [this.registry],
      async collect() {
        this.reset();
        // A database that does not answer must not fail the scrape: no samples this time.
        for (const row of await source.activeSlots().catch(() => []))
          this.set({ kind: row.kind, limit: row.limit }, row.slots);
      },
    });
    new Gauge({
      name: "flowgate_outbox_lag_seconds",
      help: "Age of the newest state-change event in the outbox.",
      registers: [this.registry],
      async collect() {
        this.set(await source.outboxLagSeconds().catch(() => Number.NaN)); // NaN: unknown
      },
    });
    new Gauge({
      name: "flowgate_db_pool_connections",
      help: "Database pool connections by state (total, idle, used, waiting; size: the most).",
      labelNames: ["state"],
      registers: [this.registry],
      collect() {
        for (const [state, count] of Object.entries(source.pool())) this.set({ state }, count);
      },
    });
  }

  /** One finished RPC; `method` is the gRPC path `/pkg.Service/Method`. */
  rpc(method: string, code: string, seconds: number): void {
    const [, service = "", name = ""] = method.split("/");
    this.#handled.inc({ grpc_service: service, grpc_method: name, grpc_code: code });
    this.#latency.observe({ grpc_service: service, grpc_method: name }, seconds);
  }

  orchestration(
    runKind: "flow_run" | "task_run",
    policy: string,
    status: string,
    rules: readonly string[],
  ): void {
    this.#orchestrations.inc({ run_kind: runKind, policy, status });
    for (const rule of rules) this.#ruleFirings.inc({ rule });
  }

  backgroundRun(service: string, outcome: string): void {
    this.#backgroundRuns.inc({ service, outcome });
  }

  /** Serves `GET /metrics` on `port` (0 picks one); resolves to the bound port. */
  listen(host: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
    const server: Server = createServer((request, response) => {
      if (request.url !== "/metrics") {
        response.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
        (body) => response.writeHead(200, { "content-type": this.registry.contentType }).end(body),
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        const address = server.address();
        resolve({
          port: typeof address === "object" && address ? address.port : port,
          close: () => new Promise((done) => server.close(() => done())),
        });
      });
    });
  }
}
