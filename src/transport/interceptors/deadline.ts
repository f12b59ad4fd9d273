/**
 * Deadlines and cancellation. Each server's adapter aborts the call's signal when the client
 * cancels, the deadline passes or the server ends the call, with the status the call then
 * ends with as its reason. From then on that status is the call's outcome, at once, whatever
 * its handler does or later throws (an AbortError, or a database error the abort caused):
 * that is the status the client saw, and it is no fault of the server. A call whose signal is
 * already aborted does not start.
 */
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "../../logger.ts";
import { StatusError } from "../grpc/errors.ts";
import type { Interceptor } from "./interceptor.ts";

/** The abort reason of a call whose deadline passed. */
export function deadlinePassed(): StatusError {
  return new StatusError(
    grpc.status.DEADLINE_EXCEEDED,
    "the call's deadline passed",
    "DEADLINE_EXCEEDED",
  );
}

/** The abort reason of a call the client cancelled (or went away from). */
export function clientCancelled(): StatusError {
  return new StatusError(grpc.status.CANCELLED, "the client cancelled the call", "CALL_CANCELLED");
}

export function deadlines(log: Logger): Interceptor {
  return (next) => async (request, context) => {
    const { signal } = context;
    signal.throwIfAborted();
    const handled = next(request, context);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      const response = await Promise.race([handled, aborted]);
      // A response that comes after the client gave up is not sent.
      signal.throwIfAborted();
      return response;
    } catch (error) {
      if (!signal.aborted) throw error;
      // The handler's own end, usually caused by the abort, is only worth a debug line.
      handled.catch((late: unknown) => {
        if (late !== signal.reason)
          log.debug(
            { err: late, method: context.info.path },
            "call ended after the client gave up",
          );
      });
      throw signal.reason;
    } finally {
      if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
    }
  };
}
