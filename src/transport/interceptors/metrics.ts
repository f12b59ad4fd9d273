/**
 * The RPC metrics of each call (go-grpc-prometheus names, ../metrics.ts): started and
 * received when it comes in, one sent per message out, and handled with its final status
 * code and latency, whichever server took it.
 */
import { statusOf } from "../grpc/errors.ts";
import type { CallListener } from "../grpc/server-calls.ts";
import type { Interceptor } from "./interceptor.ts";

const OK = 0;

export function metrics(listener: CallListener): Interceptor {
  return (next) => async (request, context) => {
    const { info, send } = context;
    const started = performance.now();
    let ended = false;
    listener.started(info);
    listener.received(info);
    let code = OK;
    try {
      const response = await next(request, {
        ...context,
        send:
          send &&
          ((message) => {
            // A handler that has not yet seen its call end may still send: not counted.
            if (!ended) listener.sent(info);
            return send(message);
          }),
      });
      if (info.type === "unary") listener.sent(info);
      return response;
    } catch (error) {
      code = statusOf(error).code;
      throw error;
    } finally {
      ended = true;
      listener.finished(info, code, (performance.now() - started) / 1000);
    }
  };
}
