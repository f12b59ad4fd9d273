/** A pino logger that keeps its JSON lines in memory, for tests that assert on logs. */
import { pino } from "pino";
import type { Logger } from "../../src/logger.ts";

export interface CapturedLog {
  readonly log: Logger;
  /** Every line logged so far, parsed. */
  lines(): Record<string, unknown>[];
}

export function captureLog(): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: "debug" },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { log, lines: () => [...lines] };
}
