/** The structured JSON logger (pino). One instance per process, created in main. */
import { pino } from "pino";
import type { LogLevel } from "./config.ts";

export type Logger = pino.Logger;

export function createLogger(level: LogLevel): Logger {
  return pino({
    name: "flowgate",
    level,
    // Credentials must never reach the logs, whatever a caller passes in.
    redact: {
      paths: ["authorization", "*.authorization", "databaseUrl", "*.databaseUrl"],
      censor: "[redacted]",
    },
  });
}
