/**
 * A SERVER span per call (../tracing.ts), continuing the caller's W3C trace context from its
 * headers, ended with the call's final status; handlers see it as `context.span`.
 */
import { statusOf } from "../grpc/errors.ts";
import type { Tracing } from "../tracing.ts";
import type { Interceptor } from "./interceptor.ts";

const OK = 0;

export function tracing(tracer: Tracing): Interceptor {
  return (next) => async (request, context) => {
    const span = tracer.startRpcSpan(context.info.path, context.headers, context.protocol);
    try {
      const response = await next(request, { ...context, span });
      span.end(OK);
      return response;
    } catch (error) {
      const status = statusOf(error);
      span.end(status.code, status.message);
      throw error;
    }
  };
}
