/**
 * Admission control: unary calls in flight beyond a limit are answered RESOURCE_EXHAUSTED at
 * once instead of queueing without bound. A call holds its slot until its handler has
 * returned, also when the client gave up before (the work it started is still running).
 * Streams (watches) are long-lived and cheap while idle: they take no slot.
 */
import * as grpc from "@grpc/grpc-js";
import { StatusError } from "../grpc/errors.ts";
import type { Interceptor } from "./interceptor.ts";

export function admission(limit: number): Interceptor {
  let inFlight = 0;
  return (next) => async (request, context) => {
    if (context.info.type !== "unary") return next(request, context);
    if (inFlight >= limit) {
      throw new StatusError(
        grpc.status.RESOURCE_EXHAUSTED,
        `too many calls in flight (${limit}); retry with backoff`,
        "TOO_MANY_CALLS_IN_FLIGHT",
      );
    }
    inFlight++;
    try {
      return await next(request, context);
    } finally {
      inFlight--;
    }
  };
}
