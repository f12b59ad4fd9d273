import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config.ts";

const DEFAULT_BACKGROUND_SERVICES = {
  enabled: true,
  lateRunsLoopSeconds: 5,
  lateRunsAfterSeconds: 15,
  pauseExpirationLoopSeconds: 5,
  cancellingTimeoutSeconds: 300,
  cancellationLoopSeconds: 20,
  leaseReaperLoopSeconds: 5,
};

const DEFAULT_MESH = {
  metricsPort: undefined,
  authTokens: undefined,
  maxInFlight: 256,
  dbPoolSize: 10,
  keepaliveTimeMs: 30_000,
  keepaliveTimeoutMs: 10_000,
  maxConnectionAgeMs: 300_000,
  maxConnectionAgeGraceMs: 30_000,
  otlpEndpoint: undefined,
};

describe("loadConfig", () => {
  it("fills every default from an empty environment", () => {
    expect(loadConfig({}, "/srv/app")).toEqual({
      host: "0.0.0.0",
      port: 50051,
      databaseUrl: undefined,
      dataDir: "/srv/app/.data",
      logLevel: "info",
      shutdownGraceMs: 10_000,
      backgroundServices: DEFAULT_BACKGROUND_SERVICES,
      tagSlotLeaseSeconds: 300,
      mesh: DEFAULT_MESH,
      batching: { batchesInFlight: 2, maxBatchSize: 64 },
    });
  });

  it("reads every variable", () => {
    const config = loadConfig(
      {
        FLOWGATE_HOST: "127.0.0.1",
        FLOWGATE_PORT: "6000",
        DATABASE_URL: "postgres://u@db:5432/flowgate",
        FLOWGATE_DATA_DIR: "/var/data",
        FLOWGATE_LOG_LEVEL: "DEBUG",
        FLOWGATE_SHUTDOWN_GRACE_MS: "250",
        FLOWGATE_BACKGROUND_SERVICES: "FALSE",
        FLOWGATE_LATE_RUNS_LOOP_SECONDS: "0.5",
        FLOWGATE_LATE_RUNS_AFTER_SECONDS: "0",
        FLOWGATE_PAUSE_EXPIRATION_LOOP_SECONDS: "7",
        FLOWGATE_CANCELLING_TIMEOUT_SECONDS: "60",
        FLOWGATE_CANCELLATION_LOOP_SECONDS: "2.5",
        FLOWGATE_LEASE_REAPER_LOOP_SECONDS: "1",
        FLOWGATE_TAG_SLOT_LEASE_SECONDS: "90.5",
        FLOWGATE_METRICS_PORT: "9464",
        FLOWGATE_AUTH_TOKENS: "alpha, beta",
        FLOWGATE_MAX_IN_FLIGHT: "32",
        FLOWGATE_DB_POOL_SIZE: "20",
        FLOWGATE_KEEPALIVE_TIME_MS: "20000",
        FLOWGATE_KEEPALIVE_TIMEOUT_MS: "5000",
        FLOWGATE_MAX_CONNECTION_AGE_MS: "60000",
        FLOWGATE_MAX_CONNECTION_AGE_GRACE_MS: "1000",
        FLOWGATE_OTLP_ENDPOINT: "http://otel-collector:4318",
        FLOWGATE_BATCHES_IN_FLIGHT: "4",
        FLOWGATE_MAX_BATCH_SIZE: "16",
      },
      "/srv/app",
    );
    expect(config).toEqual({
      host: "127.0.0.1",
      port: 6000,
      databaseUrl: "postgres://u@db:5432/flowgate",
      dataDir: "/var/data",
      logLevel: "debug",
      shutdownGraceMs: 250,
      backgroundServices: {
        enabled: false,
        lateRunsLoopSeconds: 0.5,
        lateRunsAfterSeconds: 0,
        pauseExpirationLoopSeconds: 7,
        cancellingTimeoutSeconds: 60,
        cancellationLoopSeconds: 2.5,
        leaseReaperLoopSeconds: 1,
      },
      tagSlotLeaseSeconds: 90.5,
      mesh: {
        metricsPort: 9464,
        authTokens: ["alpha", "beta"],
        maxInFlight: 32,
        dbPoolSize: 20,
        keepaliveTimeMs: 20_000,
        keepaliveTimeoutMs: 5000,
        maxConnectionAgeMs: 60_000,
        maxConnectionAgeGraceMs: 1000,
        otlpEndpoint: "http://otel-collector:4318",
      },
      batching: { batchesInFlight: 4, maxBatchSize: 16 },
    });
  });

  it("returns a frozen object", () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
    expect(Object.isFrozen(loadConfig({}).backgroundServices)).toBe(true);
  });

  it.each([
    ["FLOWGATE_PORT", "abc"],
    ["FLOWGATE_PORT", "70000"],
    ["FLOWGATE_SHUTDOWN_GRACE_MS", "-1"],
    ["FLOWGATE_LOG_LEVEL", "loud"],
    ["DATABASE_URL", "not a url"],
    ["DATABASE_URL", "mysql://localhost/db"],
    ["FLOWGATE_BACKGROUND_SERVICES", "yes"],
    ["FLOWGATE_METRICS_PORT", "http"],
    ["FLOWGATE_AUTH_TOKENS", " , "],
    ["FLOWGATE_DB_POOL_SIZE", "0"],
    ["FLOWGATE_OTLP_ENDPOINT", "otel-collector:4318"],
    ["FLOWGATE_OTLP_ENDPOINT", "not a url"],
    ["FLOWGATE_LATE_RUNS_LOOP_SECONDS", "0"],
    ["FLOWGATE_LATE_RUNS_LOOP_SECONDS", "-5"],
    ["FLOWGATE_LATE_RUNS_AFTER_SECONDS", "soon"],
    ["FLOWGATE_PAUSE_EXPIRATION_LOOP_SECONDS", "1e3"],
    ["FLOWGATE_CANCELLING_TIMEOUT_SECONDS", "99999999"],
    ["FLOWGATE_CANCELLATION_LOOP_SECONDS", "0.01"],
    ["FLOWGATE_LEASE_REAPER_LOOP_SECONDS", "100000"],
    ["FLOWGATE_TAG_SLOT_LEASE_SECONDS", "0"],
    ["FLOWGATE_TAG_SLOT_LEASE_SECONDS", "0.5"],
    ["FLOWGATE_TAG_SLOT_LEASE_SECONDS", "31536001"],
    ["FLOWGATE_TAG_SLOT_LEASE_SECONDS", "forever"],
    ["FLOWGATE_BATCHES_IN_FLIGHT", "0"],
    ["FLOWGATE_BATCHES_IN_FLIGHT", "two"],
    ["FLOWGATE_MAX_BATCH_SIZE", "0"],
    ["FLOWGATE_MAX_BATCH_SIZE", "1001"],
  ])("rejects %s=%s with an error naming the variable", (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`^${variable}: `));
  });
});

describe("FLOWGATE_AUTH_TOKENS", () => {
  it("reads a file of tokens, one per line, skipping blanks and comments", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const file = path.join(mkdtempSync(path.join(tmpdir(), "flowgate-tokens-")), "tokens");
    writeFileSync(file, "# workers\nfirst-token\n\nsecond-token\n");
    expect(loadConfig({ FLOWGATE_AUTH_TOKENS: file }).mesh.authTokens).toEqual([
      "first-token",
      "second-token",
    ]);
  });
});
