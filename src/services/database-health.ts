/**
 * Health follows the database: while it does not answer, every replica reports NOT_SERVING
 * (so load balancers and Kubernetes readiness route around it), and SERVING again once it
 * answers — without a restart.
 */
import type { Logger } from "../logger.ts";

export interface DatabaseHealthMonitor {
  stop(): void;
}

export function monitorDatabaseHealth(
  ping: () => Promise<void>,
  setServing: (serving: boolean) => void,
  intervalMs: number,
  log: Logger,
): DatabaseHealthMonitor {
  let serving = true;
  let checking = false;
  const check = async () => {
    if (checking) return;
    checking = true;
    try {
      const ok = await withTimeout(ping(), intervalMs).then(
        () => true,
        () => false,
      );
      if (ok !== serving) {
        serving = ok;
        setServing(ok);
        if (ok) log.info("database reachable again: SERVING");
        else log.warn("database unreachable: NOT_SERVING");
      }
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error("ping timed out")), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
