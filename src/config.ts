/**
 * The process configuration, parsed once from the environment. This is the only module
 * that reads `process.env`; everything else receives a frozen {@link Config}.
 */
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import path from "node:path";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  /** Interface the gRPC server binds to (`FLOWGATE_HOST`). */
  readonly host: string;
  /** gRPC port; 0 picks a free one (`FLOWGATE_PORT`). */
  readonly port: number;
  /** Connect / gRPC-Web / JSON port; 0 picks a free one; undefined: off (`FLOWGATE_HTTP_PORT`). */
  readonly httpPort: number | undefined;
  /** External PostgreSQL; when absent an embedded PostgreSQL is started (`DATABASE_URL`). */
  readonly databaseUrl: string | undefined;
  /** Directory of the embedded PostgreSQL's data (`FLOWGATE_DATA_DIR`). */
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  /** How long in-flight calls may run after SIGTERM before they are cancelled. */
  readonly shutdownGraceMs: number;
  /** The background loops of spec §5.5 and the lease reaper. */
  readonly backgroundServices: BackgroundServicesConfig;
  /**
   * How long a task run's tag slot lives without a state change or a renewal before the
   * reaper may free it (`FLOWGATE_TAG_SLOT_LEASE_SECONDS`; Prefect: effectively forever).
   */
  readonly tagSlotLeaseSeconds: number;
  /**
   * Every way into PENDING or RUNNING takes a deployment slot, not only SCHEDULED → PENDING
   * (`FLOWGATE_STRICT_DEPLOYMENT_LIMITS`; default `false`, Prefect's behaviour).
   */
  readonly strictDeploymentLimits: boolean;
  readonly mesh: MeshConfig;
  readonly batching: BatchingConfig;
}

/** How concurrent transitions of different runs are combined into shared transactions. */
export interface BatchingConfig {
  /** Batches (shared transactions) running at once (`FLOWGATE_BATCHES_IN_FLIGHT`). */
  readonly batchesInFlight: number;
  /** Transitions one batch takes at most (`FLOWGATE_MAX_BATCH_SIZE`; 1: no batching). */
  readonly maxBatchSize: number;
}

/** Intervals and thresholds of the background services, in seconds. */
/** What a service mesh and its operators need: metrics, auth, admission, connection ages. */
export interface MeshConfig {
  /** Prometheus `/metrics` port (`FLOWGATE_METRICS_PORT`); undefined: no endpoint. */
  readonly metricsPort: number | undefined;
  /**
   * Accepted bearer tokens (`FLOWGATE_AUTH_TOKENS`, a literal list, or
   * `FLOWGATE_AUTH_TOKENS_FILE`, one per line); undefined: authentication off.
   */
  readonly authTokens: readonly string[] | undefined;
  /** TLS on the gRPC port (`FLOWGATE_TLS_*`); undefined: plaintext. */
  readonly tls: TlsConfig | undefined;
  /** Unary calls in flight beyond this get RESOURCE_EXHAUSTED (`FLOWGATE_MAX_IN_FLIGHT`, 0: off). */
  readonly maxInFlight: number;
  /** Database connections in the pool (`FLOWGATE_DB_POOL_SIZE`). */
  readonly dbPoolSize: number;
  /**
   * How long a call waits for a pooled database connection, or for a new one to connect,
   * before it fails UNAVAILABLE (`FLOWGATE_DB_ACQUIRE_TIMEOUT_MS`).
   */
  readonly dbAcquireTimeoutMs: number;
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly maxConnectionAgeMs: number;
  readonly maxConnectionAgeGraceMs: number;
  /** OTLP/HTTP collector base URL for traces (`FLOWGATE_OTLP_ENDPOINT`); undefined: no tracing. */
  readonly otlpEndpoint: string | undefined;
  /**
   * Requests larger than this are refused before they are decoded, so one call cannot exhaust
   * the heap (`FLOWGATE_MAX_MESSAGE_BYTES`, 4 MiB).
   */
  readonly maxMessageBytes: number;
}

/** Certificate files of the gRPC port, re-read while the server runs (cert-manager rotates them). */
export interface TlsConfig {
  /** PEM certificate chain (`FLOWGATE_TLS_CERT_FILE`). */
  readonly certFile: string;
  /** PEM private key (`FLOWGATE_TLS_KEY_FILE`). */
  readonly keyFile: string;
  /** PEM CA bundle; when set, clients must present a certificate it signed (`FLOWGATE_TLS_CLIENT_CA_FILE`). */
  readonly clientCaFile: string | undefined;
  /** How often the files are checked for a change (`FLOWGATE_TLS_RELOAD_SECONDS`). */
  readonly reloadSeconds: number;
}

export interface BackgroundServicesConfig {
  /** `false` runs no loop on this replica (`FLOWGATE_BACKGROUND_SERVICES`). */
  readonly enabled: boolean;
  /** How often late runs are looked for (`FLOWGATE_LATE_RUNS_LOOP_SECONDS`). */
  readonly lateRunsLoopSeconds: number;
  /** A Scheduled run this long past its start time is Late (`FLOWGATE_LATE_RUNS_AFTER_SECONDS`). */
  readonly lateRunsAfterSeconds: number;
  /** How often expired pauses are failed (`FLOWGATE_PAUSE_EXPIRATION_LOOP_SECONDS`). */
  readonly pauseExpirationLoopSeconds: number;
  /** A run CANCELLING this long is Cancelled (`FLOWGATE_CANCELLING_TIMEOUT_SECONDS`). */
  readonly cancellingTimeoutSeconds: number;
  /**
   * How often CANCELLING timeouts are checked and the task runs and subflows of CANCELLED
   * runs are cancelled (`FLOWGATE_CANCELLATION_LOOP_SECONDS`).
   */
  readonly cancellationLoopSeconds: number;
  /** How often expired leases and tag slots are reaped (`FLOWGATE_LEASE_REAPER_LOOP_SECONDS`). */
  readonly leaseReaperLoopSeconds: number;
}

/** A configuration value that cannot be used; the message names the variable. */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = "ConfigError";
    this.variable = variable;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** The default of `FLOWGATE_DB_ACQUIRE_TIMEOUT_MS`, also for pools opened without a Config. */
export const DEFAULT_DB_ACQUIRE_TIMEOUT_MS = 5000;

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  return Object.freeze({
    host: nonEmpty(env, "FLOWGATE_HOST") ?? "0.0.0.0",
    port: integer(env, "FLOWGATE_PORT", 50051, 0, 65535),
    httpPort:
      nonEmpty(env, "FLOWGATE_HTTP_PORT") === undefined
        ? undefined
        : integer(env, "FLOWGATE_HTTP_PORT", 0, 0, 65535),
    databaseUrl: databaseUrl(env),
    dataDir: path.resolve(cwd, nonEmpty(env, "FLOWGATE_DATA_DIR") ?? ".data"),
    logLevel: logLevel(env),
    shutdownGraceMs: integer(env, "FLOWGATE_SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
    backgroundServices: backgroundServices(env),
    tagSlotLeaseSeconds: seconds(env, "FLOWGATE_TAG_SLOT_LEASE_SECONDS", 300, 1, 365 * DAY),
    strictDeploymentLimits: boolean(env, "FLOWGATE_STRICT_DEPLOYMENT_LIMITS", false),
    mesh: mesh(env),
    batching: Object.freeze({
      batchesInFlight: integer(env, "FLOWGATE_BATCHES_IN_FLIGHT", 2, 1, 64),
      maxBatchSize: integer(env, "FLOWGATE_MAX_BATCH_SIZE", 64, 1, 1000),
    }),
  });
}

function mesh(env: Env): MeshConfig {
  const metricsPort = nonEmpty(env, "FLOWGATE_METRICS_PORT");
  return Object.freeze({
    metricsPort:
      metricsPort === undefined ? undefined : integer(env, "FLOWGATE_METRICS_PORT", 0, 0, 65535),
    authTokens: authTokens(env),
    tls: tls(env),
    maxInFlight: integer(env, "FLOWGATE_MAX_IN_FLIGHT", 256, 0, 1_000_000),
    dbPoolSize: integer(env, "FLOWGATE_DB_POOL_SIZE", 10, 1, 1000),
    dbAcquireTimeoutMs: integer(
      env,
      "FLOWGATE_DB_ACQUIRE_TIMEOUT_MS",
      DEFAULT_DB_ACQUIRE_TIMEOUT_MS,
      100,
      600_000,
    ),
    keepaliveTimeMs: integer(env, "FLOWGATE_KEEPALIVE_TIME_MS", 30_000, 1000, 86_400_000),
    keepaliveTimeoutMs: integer(env, "FLOWGATE_KEEPALIVE_TIMEOUT_MS", 10_000, 1000, 600_000),
    maxConnectionAgeMs: integer(env, "FLOWGATE_MAX_CONNECTION_AGE_MS", 300_000, 1000, 86_400_000),
    maxConnectionAgeGraceMs: integer(
      env,
      "FLOWGATE_MAX_CONNECTION_AGE_GRACE_MS",
      30_000,
      0,
      86_400_000,
    ),
    otlpEndpoint: httpUrl(env, "FLOWGATE_OTLP_ENDPOINT"),
    maxMessageBytes: integer(env, "FLOWGATE_MAX_MESSAGE_BYTES", 4 * MIB, 64 * KIB, 16 * MIB),
  });
}

/**
 * `FLOWGATE_AUTH_TOKENS` is a literal comma-separated list; `FLOWGATE_AUTH_TOKENS_FILE` names a
 * file (a mounted Secret) with one token per line, `#` starting a comment line.
 */
function authTokens(env: Env): readonly string[] | undefined {
  const literal = nonEmpty(env, "FLOWGATE_AUTH_TOKENS");
  const file = nonEmpty(env, "FLOWGATE_AUTH_TOKENS_FILE");
  if (literal !== undefined && file !== undefined) {
    throw new ConfigError(
      "FLOWGATE_AUTH_TOKENS_FILE",
      "set either FLOWGATE_AUTH_TOKENS or FLOWGATE_AUTH_TOKENS_FILE, not both",
    );
  }
  if (file !== undefined) {
    const tokens = tokenList(readableFile(env, "FLOWGATE_AUTH_TOKENS_FILE").split(/\r?\n/));
    if (tokens.length === 0)
      throw new ConfigError("FLOWGATE_AUTH_TOKENS_FILE", `${file} contains no token`);
    return tokens;
  }
  if (literal === undefined) return undefined;
  const tokens = tokenList(literal.split(","));
  if (tokens.length === 0) throw new ConfigError("FLOWGATE_AUTH_TOKENS", "names no token");
  // A path here would silently become a token: the file form has its own variable.
  if (tokens.some((token) => /^\.{0,2}\//.test(token))) {
    throw new ConfigError(
      "FLOWGATE_AUTH_TOKENS",
      "looks like a file path; a file of tokens goes in FLOWGATE_AUTH_TOKENS_FILE",
    );
  }
  return tokens;
}

function tokenList(lines: readonly string[]): readonly string[] {
  return Object.freeze(
    lines.map((token) => token.trim()).filter((token) => token !== "" && !token.startsWith("#")),
  );
}

function tls(env: Env): TlsConfig | undefined {
  const certFile = nonEmpty(env, "FLOWGATE_TLS_CERT_FILE");
  const keyFile = nonEmpty(env, "FLOWGATE_TLS_KEY_FILE");
  const clientCaFile = nonEmpty(env, "FLOWGATE_TLS_CLIENT_CA_FILE");
  if (certFile === undefined && keyFile === undefined) {
    if (clientCaFile !== undefined) {
      throw new ConfigError(
        "FLOWGATE_TLS_CLIENT_CA_FILE",
        "needs FLOWGATE_TLS_CERT_FILE and FLOWGATE_TLS_KEY_FILE",
      );
    }
    return undefined;
  }
  if (certFile === undefined)
    throw new ConfigError("FLOWGATE_TLS_CERT_FILE", "needed with FLOWGATE_TLS_KEY_FILE");
  if (keyFile === undefined)
    throw new ConfigError("FLOWGATE_TLS_KEY_FILE", "needed with FLOWGATE_TLS_CERT_FILE");
  readableFile(env, "FLOWGATE_TLS_CERT_FILE");
  readableFile(env, "FLOWGATE_TLS_KEY_FILE");
  if (clientCaFile !== undefined) readableFile(env, "FLOWGATE_TLS_CLIENT_CA_FILE");
  return Object.freeze({
    certFile,
    keyFile,
    clientCaFile,
    reloadSeconds: seconds(env, "FLOWGATE_TLS_RELOAD_SECONDS", 60, 1, DAY),
  });
}

/** The text of the file that variable `name` names; missing, unreadable or empty: exit 2. */
function readableFile(env: Env, name: string): string {
  const file = nonEmpty(env, name) ?? "";
  try {
    accessSync(file, constants.R_OK);
    if (!statSync(file).isFile()) throw new Error("not a file");
  } catch {
    throw new ConfigError(name, `cannot read ${file}`);
  }
  const text = readFileSync(file, "utf8");
  if (text.trim() === "") throw new ConfigError(name, `${file} is empty`);
  return text;
}

const KIB = 1024;
const MIB = 1024 * KIB;

/** Loops may run as often as every 0.1 s and as seldom as once a day. */
const LOOP_MIN = 0.1;
const DAY = 86_400;

function backgroundServices(env: Env): BackgroundServicesConfig {
  return Object.freeze({
    enabled: boolean(env, "FLOWGATE_BACKGROUND_SERVICES", true),
    lateRunsLoopSeconds: seconds(env, "FLOWGATE_LATE_RUNS_LOOP_SECONDS", 5, LOOP_MIN, DAY),
    lateRunsAfterSeconds: seconds(env, "FLOWGATE_LATE_RUNS_AFTER_SECONDS", 15, 0, DAY),
    pauseExpirationLoopSeconds: seconds(
      env,
      "FLOWGATE_PAUSE_EXPIRATION_LOOP_SECONDS",
      5,
      LOOP_MIN,
      DAY,
    ),
    cancellingTimeoutSeconds: seconds(env, "FLOWGATE_CANCELLING_TIMEOUT_SECONDS", 300, 0, 30 * DAY),
    cancellationLoopSeconds: seconds(env, "FLOWGATE_CANCELLATION_LOOP_SECONDS", 20, LOOP_MIN, DAY),
    leaseReaperLoopSeconds: seconds(env, "FLOWGATE_LEASE_REAPER_LOOP_SECONDS", 5, LOOP_MIN, DAY),
  });
}

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(name, `expected a value between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/** A non-negative decimal number of seconds (`5`, `0.5`) within [min, max]. */
function seconds(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(raw))
    throw new ConfigError(name, `expected a number of seconds, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(name, `expected a value between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = nonEmpty(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

function databaseUrl(env: Env): string | undefined {
  const raw = nonEmpty(env, "DATABASE_URL");
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("DATABASE_URL", "not a valid URL");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ConfigError("DATABASE_URL", `expected a postgres:// URL, got ${url.protocol}//`);
  }
  return raw;
}

/** An http:// or https:// URL, e.g. an OTLP collector's `http://otel-collector:4318`. */
function httpUrl(env: Env, name: string): string | undefined {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, "not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(name, `expected an http:// or https:// URL, got ${url.protocol}//`);
  }
  return raw;
}

function logLevel(env: Env): LogLevel {
  const raw = nonEmpty(env, "FLOWGATE_LOG_LEVEL") ?? "info";
  const level = LOG_LEVELS.find((candidate) => candidate === raw.toLowerCase());
  if (level === undefined) {
    throw new ConfigError("FLOWGATE_LOG_LEVEL", `expected one of ${LOG_LEVELS.join(", ")}`);
  }
  return level;
}
