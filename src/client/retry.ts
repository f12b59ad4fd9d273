/**
 * Retries for flowgate calls, as a connect-es interceptor (see `createFlowgateClient`).
 *
 * Two status codes are worth sending the same request again for. ABORTED means the server
 * rolled the transaction back (a serialization failure or deadlock): nothing was written, so
 * any unary call may be replayed. UNAVAILABLE means the server or the network went away, and
 * the call may or may not have committed: only calls whose replay cannot do something twice
 * are retried then — reads, and state proposals, which carry a `transition_id` the server
 * recognises (PreventDuplicateTransitions answers a replay without writing a second state).
 *
 * Attempts are bounded; the delay between them grows exponentially with "full jitter"
 * (a uniformly random delay up to the exponential bound), so that many clients knocked out
 * by the same outage do not come back in lockstep. The whole retry loop stays inside the
 * call's own deadline and abort signal.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/** How a client retries. */
export interface RetryOptions {
  /** Attempts in all, the first included (default 5; 1 turns retries off). */
  readonly maxAttempts?: number;
  /** Upper bound of the first delay, in milliseconds (default 100). */
  readonly initialDelayMs?: number;
  /** Upper bound of any delay, in milliseconds (default 2000). */
  readonly maxDelayMs?: number;
  /** Called before each retry, e.g. to log it. */
  readonly onRetry?: (event: RetryEvent) => void;
  /** Injected in tests: uniform numbers in [0, 1). */
  readonly random?: () => number;
  /** Injected in tests: waits `ms` unless `signal` aborts first. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** One retry about to happen. */
export interface RetryEvent {
  /** `flowgate.v1.FlowRunService/SetFlowRunState` */
  readonly procedure: string;
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  readonly error: ConnectError;
  readonly delayMs: number;
}

/**
 * Methods replayed after UNAVAILABLE: reads and state proposals. Matched on the method name,
 * which the contract's naming rules make meaningful (docs/api.md).
 */
export function isSafeToReplay(methodName: string): boolean {
  return /^(Get|List)/.test(methodName) || /^Set(Flow|Task)RunState$/.test(methodName);
}

/** Whether `error` may be retried for a call of `methodName`. */
export function isRetryable(error: ConnectError, methodName: string): boolean {
  if (error.code === Code.Aborted) return true;
  return error.code === Code.Unavailable && isSafeToReplay(methodName);
}

/**
 * The delay before retry number `retry` (1 for the first): uniform in
 * [0, min(maxDelayMs, initialDelayMs * 2^(retry-1))).
 */
export function backoffDelayMs(
  retry: number,
  options: Pick<RetryOptions, "initialDelayMs" | "maxDelayMs">,
  random: () => number,
): number {
  const initial = options.initialDelayMs ?? 100;
  const ceiling = Math.min(options.maxDelayMs ?? 2000, initial * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

/** An interceptor that retries unary calls as the module header describes. */
export function retryInterceptor(options: RetryOptions = {}): Interceptor {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? abortableSleep;
  return (next) => async (request) => {
    // A stream cannot be replayed transparently: the caller has seen part of it.
    if (request.stream) return next(request);
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(request);
      } catch (cause) {
        const error = ConnectError.from(cause);
        if (
          attempt >= maxAttempts ||
          request.signal.aborted ||
          !isRetryable(error, request.method.name)
        ) {
          throw error;
        }
        const delayMs = backoffDelayMs(attempt, options, random);
        const procedure = `${request.service.typeName}/${request.method.name}`;
        options.onRetry?.({ procedure, attempt, error, delayMs });
        await sleep(delayMs, request.signal);
      }
    }
  };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      signal.removeEventListener("abort", aborted);
      resolve();
    };
    const aborted = () => {
      clearTimeout(timer);
      reject(ConnectError.from(signal.reason ?? new Error("aborted")));
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", aborted, { once: true });
  });
}
