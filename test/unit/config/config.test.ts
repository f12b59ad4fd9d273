import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config.ts";

describe("loadConfig", () => {
  it("fills every default from an empty environment", () => {
    expect(loadConfig({}, "/srv/app")).toEqual({
      host: "0.0.0.0",
      port: 50051,
      databaseUrl: undefined,
      dataDir: "/srv/app/.data",
      logLevel: "info",
      shutdownGraceMs: 10_000,
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
    });
  });

  it("returns a frozen object", () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });

  it.each([
    ["FLOWGATE_PORT", "abc"],
    ["FLOWGATE_PORT", "70000"],
    ["FLOWGATE_SHUTDOWN_GRACE_MS", "-1"],
    ["FLOWGATE_LOG_LEVEL", "loud"],
    ["DATABASE_URL", "not a url"],
    ["DATABASE_URL", "mysql://localhost/db"],
  ])("rejects %s=%s with an error naming the variable", (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`^${variable}: `));
  });
});
