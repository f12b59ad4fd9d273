/**
 * One JSON log line per call ("call": method, status code name, duration, protocol), warn
 * for the codes that say the server is at fault or unreachable (INTERNAL, UNAVAILABLE).
 */
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "../../logger.ts";
import { statusOf } from "../grpc/errors.ts";
import type { Interceptor } from "./interceptor.ts";

export function logging(log: Logger): Interceptor {
  return (next) => async (request, context) => {
    const started = performance.now();
    let code = grpc.status.OK;
    try {
      return await next(request, context);
    } catch (error) {
      code = statusOf(error).code;
      throw error;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const line = { ...callLine(context.info.path, code, seconds), protocol: context.protocol };
      if (isServerFault(code)) log.warn(line, "call");
      else log.info(line, "call");
    }
  };
}

/** The fields of a call's log line. */
export function callLine(path: string, code: grpc.status, seconds: number) {
  return { method: path, code: grpc.status[code], durationMs: Math.round(seconds * 100_000) / 100 };
}

/** Codes logged as warnings. */
export function isServerFault(code: grpc.status): boolean {
  return code === grpc.status.INTERNAL || code === grpc.status.UNAVAILABLE;
}
