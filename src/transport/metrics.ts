/**
 * Prometheus metrics (prom-client) on their own HTTP port. RPC metrics carry the names and
 * labels of go-grpc-prometheus (`grpc_server_started_total`, `grpc_server_handled_total`,
 * `grpc_server_msg_received_total`, `grpc_server_msg_sent_total`,
 * `grpc_server_handling_seconds`; `grpc_type`, `grpc_service`, `grpc_method`, `grpc_code`), so
 * that standard gRPC dashboards work, and count every call the server takes, health and
 * reflection included (they are fed by the server's call interceptor). Node's process metrics
 * keep prom-client's standard names. flowgate_* cover orchestration, the pool and the outbox;
 * the gauges that query the database do so at scrape time, each within a deadline, so that a
 * scrape never hangs on an unreachable database (the gauge is then left out of that scrape);
 * the pool's figures need no query.
 */
import { createServer, type Server } from "node:http";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { MetricsSource } from "../application/metrics-source.ts";
import type { CallInfo, CallListener } from "./grpc/server-calls.ts";

/** How long a scrape may wait for one database-backed figure. */
const SOURCE_DEADLINE_MS = 2000;

export class Metrics implements CallListener {
  readonly registry = new Registry();
  readonly #started = new Counter({
    name: "grpc_server_started_total",
    help: "Total number of RPCs started on the server.",
    labelNames: ["grpc_type", "grpc_service", "grpc_method"],
    registers: [this.registry],
  });
  readonly #handled = new Counter({
    name: "grpc_server_handled_total",
    help: "Total number of RPCs completed on the server, regardless of success or failure.",
    labelNames: ["grpc_type", "grpc_service", "grpc_method", "grpc_code"],
    registers: [this.registry],
  });
  readonly #received = new Counter({
    name: "grpc_server_msg_received_total",
    help: "Total number of RPC stream messages received on the server.",
    labelNames: ["grpc_type", "grpc_service", "grpc_method"],
    registers: [this.registry],
  });
  readonly #sent = new Counter({
    name: "grpc_server_msg_sent_total",
    help: "Total number of gRPC stream messages sent by the server.",
    labelNames: ["grpc_type", "grpc_service", "grpc_method"],
    registers: [this.registry],
  });
  // As in go-grpc-prometheus, the latency histogram has no grpc_code (it would multiply the
  // bucket series by the codes); error ratios come from grpc_server_handled_total.
  readonly #latency = new Histogram({
    name: "grpc_server_handling_seconds",
    help: "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
    labelNames: ["grpc_type", "grpc_service", "grpc_method"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
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
    collectDefaultMetrics({ register: this.registry });
    this.#databaseGauges(source);
  }

  started(call: CallInfo): void {
    this.#started.inc(labels(call));
  }

  received(call: CallInfo): void {
    this.#received.inc(labels(call));
  }

  sent(call: CallInfo): void {
    this.#sent.inc(labels(call));
  }

  /** One finished RPC; `code` is its gRPC status code. */
  finished(call: CallInfo, code: number, seconds: number): void {
    this.#handled.inc({ ...labels(call), grpc_code: GO_CODE_NAMES[code] ?? String(code) });
    this.#latency.observe(labels(call), seconds);
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
          close: () =>
            new Promise((done) => {
              server.close(() => done());
              server.closeAllConnections();
            }),
        });
      });
    });
  }

  #databaseGauges(source: MetricsSource): void {
    const registers = [this.registry];
    // The gauges of one scrape are collected together: they share one read of the slots.
    const slots = shared(() => withinDeadline(source.activeSlots()));
    new Gauge({
      name: "flowgate_concurrency_active_slots",
      help: "Active slots of each concurrency limit (deployment limits and tag limits).",
      labelNames: ["kind", "limit"],
      registers,
      async collect() {
        const rows = await slots();
        this.reset();
        for (const row of rows ?? []) this.set({ kind: row.kind, limit: row.limit }, row.slots);
      },
    });
    new Gauge({
      name: "flowgate_concurrency_limit_slots",
      help: "Capacity of each concurrency limit (deployment limits and tag limits).",
      labelNames: ["kind", "limit"],
      registers,
      async collect() {
        const rows = await slots();
        this.reset();
        for (const row of rows ?? []) this.set({ kind: row.kind, limit: row.limit }, row.capacity);
      },
    });
    new Gauge({
      name: "flowgate_outbox_lag_seconds",
      help: "Age of the oldest committed event this replica's event listener has not received (0 while it listens).",
      registers,
      async collect() {
        const lag = await withinDeadline(source.outboxLagSeconds());
        this.reset();
        if (lag !== undefined) this.set(lag);
      },
    });
    new Gauge({
      name: "flowgate_db_pool_connections",
      help: "Open database connections by state: active (checked out) or idle (in the pool).",
      labelNames: ["state"],
      registers,
      collect() {
        const { used, idle } = source.pool();
        this.set({ state: "active" }, used);
        this.set({ state: "idle" }, idle);
      },
    });
    new Gauge({
      name: "flowgate_db_pool_max_connections",
      help: "Capacity of the database pool (FLOWGATE_DB_POOL_SIZE).",
      registers,
      collect() {
        this.set(source.pool().size);
      },
    });
    new Gauge({
      name: "flowgate_db_pool_waiting",
      help: "Callers waiting for a database connection.",
      registers,
      collect() {
        this.set(source.pool().waiting);
      },
    });
  }
}

/**
 * `grpc_code` values as go-grpc-prometheus writes them (Go's `codes.Code.String()`:
 * `OK`, `Canceled`, `NotFound`, …), which dashboards and alert rules match on.
 */
const GO_CODE_NAMES: readonly string[] = [
  "OK",
  "Canceled",
  "Unknown",
  "InvalidArgument",
  "DeadlineExceeded",
  "NotFound",
  "AlreadyExists",
  "PermissionDenied",
  "ResourceExhausted",
  "FailedPrecondition",
  "Aborted",
  "OutOfRange",
  "Unimplemented",
  "Internal",
  "Unavailable",
  "DataLoss",
  "Unauthenticated",
];

type RpcLabels = { grpc_type: string; grpc_service: string; grpc_method: string };

function labels(call: CallInfo): RpcLabels {
  return { grpc_type: call.type, grpc_service: call.service, grpc_method: call.method };
}

/** The value, or undefined when it failed or took longer than a scrape may wait. */
async function withinDeadline<T>(value: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), SOURCE_DEADLINE_MS);
  });
  try {
    return await Promise.race([value.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** `read`, called once for all callers that ask while a read is in flight. */
function shared<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    inFlight ??= read().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
