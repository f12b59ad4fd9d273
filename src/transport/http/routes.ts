/**
 * The adapter from flowgate's service bindings to connect-es, which serves them over the
 * Connect protocol (JSON and binary) and gRPC-Web on the HTTP port. connect-es decodes the
 * request and encodes the answer; per call this adapter builds the same context the gRPC
 * bridge builds (an AbortSignal whose reason is the status the call ends with, the request's
 * headers), runs the edge interceptors and the handler, turns a handler's `send` into the
 * stream connect-es reads (with its flow control), registers streams so that the server can
 * end them on drain, and maps errors with errors.ts (same code, message and details).
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import type * as grpc from "@grpc/grpc-js";
import type { Logger } from "../../logger.ts";
import {
  type CallContext,
  callInfo,
  type GrpcType,
  methodPath,
  type Protocol,
  type RequestMessage,
  type ResponseMessage,
  settledOrAborted,
} from "../call.ts";
import { StatusError, toConnectError } from "../grpc/errors.ts";
import type { ServiceBinding } from "../handlers.ts";
import { clientCancelled, deadlinePassed } from "../interceptors/deadline.ts";
import type { Interceptor, Next } from "../interceptors/index.ts";
import type { OpenStreams } from "../open-streams.ts";
import { INERT_SPAN } from "../tracing.ts";

export interface RoutesOptions {
  readonly log: Logger;
  /** The edge interceptors, around every handler. */
  readonly edge: Interceptor;
  /** Where server-streaming calls are registered, to be ended on drain. */
  readonly streams: OpenStreams;
}

/** The routes of `services` for connect-node's adapter. */
export function connectRoutes(
  services: readonly ServiceBinding[],
  options: RoutesOptions,
): (router: ConnectRouter) => void {
  return (router) => {
    for (const binding of services) {
      for (const method of binding.service.methods) {
        const invoke = options.edge(binding.handlerStep(method));
        const path = methodPath(method);
        if (method.methodKind === "server_streaming")
          router.rpc(method, serverStream(path, invoke, options) as never);
        else router.rpc(method as DescMethod, unary(path, invoke, options) as never);
      }
    }
  };
}

function unary(path: string, invoke: Next, { log }: RoutesOptions) {
  return async (request: RequestMessage, handlerContext: HandlerContext) => {
    const call = httpCall(handlerContext, path, "unary");
    try {
      return (await invoke(request, call.context)) ?? {};
    } catch (error) {
      throw toConnectError(error, log, path);
    } finally {
      call.dispose();
    }
  };
}

function serverStream(path: string, invoke: Next, { log, streams }: RoutesOptions) {
  return async function* (request: RequestMessage, handlerContext: HandlerContext) {
    const call = httpCall(handlerContext, path, "server_stream");
    const { signal } = call.context;
    const stream = {
      // The HTTP port sets no connection age: only the drain ends its streams.
      connectionClosing: () => false,
      end: (code: grpc.status, details: string) => call.abort(new StatusError(code, details)),
    };
    streams.add(stream);
    const out = createWritableIterable<ResponseMessage>();
    // A stream that has ended drops what its handler still sends.
    const send = (message: ResponseMessage) =>
      signal.aborted ? Promise.resolve() : settledOrAborted(out.write(message), signal);
    const done = invoke(request, { ...call.context, send }).finally(() => out.close());
    // Awaited below; caught here too so that it never counts as unhandled meanwhile.
    done.catch(() => {});
    try {
      yield* out;
      await done;
    } catch (error) {
      throw toConnectError(error, log, path);
    } finally {
      streams.delete(stream);
      call.dispose();
    }
  };
}

/**
 * The context of one call from connect-es's. connect-es aborts its signal at the deadline
 * (with DeadlineExceeded), when the client goes away, and once the call has ended; the
 * handler's signal is aborted then too, or by the server (drain), with the status the call
 * ends with.
 */
function httpCall(handlerContext: HandlerContext, path: string, type: GrpcType) {
  const controller = new AbortController();
  const { signal: connectSignal, requestHeader } = handlerContext;
  const onAbort = () => controller.abort(abortStatus(connectSignal.reason));
  if (connectSignal.aborted) onAbort();
  else connectSignal.addEventListener("abort", onAbort, { once: true });
  const context: CallContext = {
    info: callInfo(path, type),
    protocol: handlerContext.protocolName as Protocol,
    headers: {
      get: (name) => requestHeader.get(name) ?? undefined,
      keys: () => [...requestHeader.keys()],
    },
    signal: controller.signal,
    span: INERT_SPAN,
  };
  return {
    context,
    abort: (reason: StatusError) => controller.abort(reason),
    dispose: () => connectSignal.removeEventListener("abort", onAbort),
  };
}

function abortStatus(reason: unknown): StatusError {
  return reason instanceof ConnectError && reason.code === Code.DeadlineExceeded
    ? deadlinePassed()
    : clientCancelled();
}
