/**
 * Health follows the database: while it does not answer, every replica reports NOT_SERVING
 * (so load balancers and Kubernetes readiness route around it), and SERVING again once it
 * answers — without a restart.
 *
 * Each ping has its own deadline, which also ends its wait for a pooled connection: a
 * database that does not answer turns health NOT_SERVING within one interval, and no ping
 * is left waiting behind it.
 */
import type { Logger } from "../logger.ts";

export interface DatabaseHealthMonitor {
  stop(): void;
}

/**
 * Pings every `intervalMs`, each ping aborted after `intervalMs`.
 * @param ping resolves when the database answers; rejects when `signal` aborts.
 */
export function monitorDatabaseHealth(
  ping: (signal: AbortSignal) => Promise<void>,
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
      const ok = await ping(AbortSignal.timeout(intervalMs)).then(
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
