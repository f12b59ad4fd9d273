/**
 * The edge of every flowgate call, composed once and applied to both servers: metrics,
 * the log line and the trace span outermost (they record the final status), then
 * deadlines/cancellation (which fix that status once the client gave up), authentication
 * and admission. Each server's adapter decodes the request before, and the handler runs
 * after (../handlers.ts).
 */
import type { Logger } from "../../logger.ts";
import type { CallListener } from "../grpc/server-calls.ts";
import type { Tracing } from "../tracing.ts";
import { admission } from "./admission.ts";
import { type Authenticator, authentication } from "./auth.ts";
import { deadlines } from "./deadline.ts";
import { compose, type Interceptor } from "./interceptor.ts";
import { logging } from "./logging.ts";
import { metrics } from "./metrics.ts";
import { tracing } from "./tracing.ts";

export { type Authenticator, bearerTokenAuthenticator } from "./auth.ts";
export { compose, type Interceptor, type Next } from "./interceptor.ts";
export { callLine, isServerFault } from "./logging.ts";

export interface EdgeOptions {
  readonly log: Logger;
  /** RPC metrics; absent: none recorded. */
  readonly metrics?: CallListener | undefined;
  /** A span per call; absent: no tracing. */
  readonly tracing?: Tracing | undefined;
  /** Throws UNAUTHENTICATED; absent when authentication is off. */
  readonly authenticate?: Authenticator | undefined;
  /** Unary calls in flight beyond this are answered RESOURCE_EXHAUSTED (0: no limit). */
  readonly maxInFlight: number;
}

/** The interceptors of every call, composed in their order. */
export function edgeInterceptors(options: EdgeOptions): Interceptor {
  const steps: Interceptor[] = [];
  if (options.metrics !== undefined) steps.push(metrics(options.metrics));
  steps.push(logging(options.log));
  if (options.tracing !== undefined) steps.push(tracing(options.tracing));
  steps.push(deadlines(options.log));
  if (options.authenticate !== undefined) steps.push(authentication(options.authenticate));
  if (options.maxInFlight > 0) steps.push(admission(options.maxInFlight));
  return compose(steps);
}
