import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
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
  dbAcquireTimeoutMs: 5000,
  keepaliveTimeMs: 30_000,
  keepaliveTimeoutMs: 10_000,
  maxConnectionAgeMs: 300_000,
  maxConnectionAgeGraceMs: 30_000,
  otlpEndpoint: undefined,
  maxMessageBytes: 4 * 1024 * 1024,
};

describe("loadConfig", () => {
  it("fills every default from an empty environment", () => {
    expect(loadConfig({}, "/srv/app")).toEqual({
      host: "0.0.0.0",
      port: 50051,
      httpPort: undefined,
      databaseUrl: undefined,
      dataDir: "/srv/app/.data",
      logLevel: "info",
      shutdownGraceMs: 10_000,
      backgroundServices: DEFAULT_BACKGROUND_SERVICES,
      tagSlotLeaseSeconds: 300,
      strictDeploymentLimits: false,
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
        FLOWGATE_STRICT_DEPLOYMENT_LIMITS: "true",
        FLOWGATE_METRICS_PORT: "9464",
        FLOWGATE_HTTP_PORT: "8080",
        FLOWGATE_AUTH_TOKENS: "alpha, beta",
        FLOWGATE_MAX_IN_FLIGHT: "32",
        FLOWGATE_DB_POOL_SIZE: "20",
        FLOWGATE_DB_ACQUIRE_TIMEOUT_MS: "2500",
        FLOWGATE_KEEPALIVE_TIME_MS: "20000",
        FLOWGATE_KEEPALIVE_TIMEOUT_MS: "5000",
        FLOWGATE_MAX_CONNECTION_AGE_MS: "60000",
        FLOWGATE_MAX_CONNECTION_AGE_GRACE_MS: "1000",
        FLOWGATE_OTLP_ENDPOINT: "http://otel-collector:4318",
        FLOWGATE_BATCHES_IN_FLIGHT: "4",
        FLOWGATE_MAX_BATCH_SIZE: "16",
        FLOWGATE_MAX_MESSAGE_BYTES: "1048576",
      },
      "/srv/app",
    );
    expect(config).toEqual({
      host: "127.0.0.1",
      port: 6000,
      httpPort: 8080,
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
      strictDeploymentLimits: true,
      mesh: {
        metricsPort: 9464,
        authTokens: ["alpha", "beta"],
        maxInFlight: 32,
        dbPoolSize: 20,
        dbAcquireTimeoutMs: 2500,
        keepaliveTimeMs: 20_000,
        keepaliveTimeoutMs: 5000,
        maxConnectionAgeMs: 60_000,
        maxConnectionAgeGraceMs: 1000,
        otlpEndpoint: "http://otel-collector:4318",
        maxMessageBytes: 1_048_576,
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
    ["FLOWGATE_HTTP_PORT", "http"],
    ["FLOWGATE_HTTP_PORT", "65536"],
    ["FLOWGATE_AUTH_TOKENS", " , "],
    ["FLOWGATE_DB_POOL_SIZE", "0"],
    ["FLOWGATE_DB_ACQUIRE_TIMEOUT_MS", "0"],
    ["FLOWGATE_DB_ACQUIRE_TIMEOUT_MS", "soon"],
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
    ["FLOWGATE_STRICT_DEPLOYMENT_LIMITS", "1"],
    ["FLOWGATE_MAX_MESSAGE_BYTES", "1000"],
    ["FLOWGATE_MAX_MESSAGE_BYTES", "4MiB"],
  ])("rejects %s=%s with an error naming the variable", (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`^${variable}: `));
  });
});

function tempFile(name: string, text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "flowgate-config-")), name);
  writeFileSync(file, text);
  return file;
}

describe("FLOWGATE_AUTH_TOKENS_FILE", () => {
  it("reads a file of tokens, one per line, skipping blanks and comments", () => {
    const file = tempFile("tokens", "# workers\nfirst-token\n\nsecond-token\n");
    expect(loadConfig({ FLOWGATE_AUTH_TOKENS_FILE: file }).mesh.authTokens).toEqual([
      "first-token",
      "second-token",
    ]);
  });

  it.each([
    ["a missing file", () => "/nonexistent/flowgate-tokens"],
    ["an empty file", () => tempFile("tokens", "")],
    ["a file of comments only", () => tempFile("tokens", "# none yet\n\n")],
    ["a directory", () => mkdtempSync(path.join(tmpdir(), "flowgate-config-"))],
  ])("refuses %s, naming FLOWGATE_AUTH_TOKENS_FILE", (_, file) => {
    expect(() => loadConfig({ FLOWGATE_AUTH_TOKENS_FILE: file() })).toThrow(
      /^FLOWGATE_AUTH_TOKENS_FILE: /,
    );
  });

  it("refuses both forms at once", () => {
    const file = tempFile("tokens", "a\n");
    expect(() =>
      loadConfig({ FLOWGATE_AUTH_TOKENS: "b", FLOWGATE_AUTH_TOKENS_FILE: file }),
    ).toThrow(/^FLOWGATE_AUTH_TOKENS_FILE: /);
  });
});

describe("FLOWGATE_AUTH_TOKENS", () => {
  it("is a literal list: an existing file's path is not read", () => {
    const file = tempFile("tokens", "from-file\n");
    expect(() => loadConfig({ FLOWGATE_AUTH_TOKENS: file })).toThrow(
      /^FLOWGATE_AUTH_TOKENS: looks like a file path/,
    );
    expect(loadConfig({ FLOWGATE_AUTH_TOKENS: "x,y" }).mesh.authTokens).toEqual(["x", "y"]);
  });

  it("regression: a mistyped path does not silently become the token", () => {
    expect(() => loadConfig({ FLOWGATE_AUTH_TOKENS: "/run/secrets/tokns" })).toThrow(
      /^FLOWGATE_AUTH_TOKENS: /,
    );
  });
});

describe("FLOWGATE_TLS_*", () => {
  it("is off by default and takes certificate, key, client CA and reload interval", () => {
    expect(loadConfig({}).mesh.tls).toBeUndefined();
    const cert = tempFile("tls.crt", "certificate");
    const key = tempFile("tls.key", "key");
    const ca = tempFile("ca.crt", "ca");
    expect(
      loadConfig({
        FLOWGATE_TLS_CERT_FILE: cert,
        FLOWGATE_TLS_KEY_FILE: key,
        FLOWGATE_TLS_CLIENT_CA_FILE: ca,
        FLOWGATE_TLS_RELOAD_SECONDS: "5",
      }).mesh.tls,
    ).toEqual({ certFile: cert, keyFile: key, clientCaFile: ca, reloadSeconds: 5 });
    expect(
      loadConfig({ FLOWGATE_TLS_CERT_FILE: cert, FLOWGATE_TLS_KEY_FILE: key }).mesh.tls,
    ).toEqual({ certFile: cert, keyFile: key, clientCaFile: undefined, reloadSeconds: 60 });
  });

  it.each([
    ["FLOWGATE_TLS_KEY_FILE", { FLOWGATE_TLS_CERT_FILE: "cert" }],
    ["FLOWGATE_TLS_CERT_FILE", { FLOWGATE_TLS_KEY_FILE: "key" }],
    ["FLOWGATE_TLS_CLIENT_CA_FILE", { FLOWGATE_TLS_CLIENT_CA_FILE: "ca" }],
  ])("refuses an incomplete set, naming %s", (variable, env) => {
    const files = Object.fromEntries(
      Object.entries(env).map(([name, text]) => [name, tempFile(text, text)]),
    );
    expect(() => loadConfig(files)).toThrow(new RegExp(`^${variable}: `));
  });

  it("refuses an unreadable file, naming its variable", () => {
    expect(() =>
      loadConfig({
        FLOWGATE_TLS_CERT_FILE: tempFile("tls.crt", "certificate"),
        FLOWGATE_TLS_KEY_FILE: "/nonexistent/tls.key",
      }),
    ).toThrow(/^FLOWGATE_TLS_KEY_FILE: cannot read/);
  });
});
