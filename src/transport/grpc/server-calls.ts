/**
 * Every call the grpc-js server takes, followed from its headers to its final status by one
 * server interceptor, so that what is recorded is what the client saw: the status actually
 * sent, CANCELLED when the client went away, DEADLINE_EXCEEDED when grpc-js ended the call at
 * its deadline. Once a call has ended, whatever its handler still writes is dropped.
 *
 * flowgate's own services are logged, measured and drained by the edge interceptors
 * (../interceptors/) and the bridge; for the other services of the port (health,
 * reflection), this interceptor reports each call to a {@link CallListener} (the log line and
 * the RPC metrics) and registers each server-streaming call (health Watch) in
 * {@link OpenStreams}, which ends it on drain or when its connection is closing.
 */
import type { Http2Session } from "node:http2";
import * as grpc from "@grpc/grpc-js";
import { type CallInfo, callInfo, type GrpcType } from "../call.ts";
import type { OpenStream, OpenStreams } from "../open-streams.ts";

/** Told about each call's life; `finished` exactly once per call. */
export interface CallListener {
  started(call: CallInfo): void;
  received(call: CallInfo): void;
  sent(call: CallInfo): void;
  finished(call: CallInfo, code: grpc.status, seconds: number): void;
}

/** The base call (grpc-js's own) of each call this interceptor intercepted. */
const BASE_CALLS = new WeakMap<object, grpc.ServerInterceptingCallInterface>();

/**
 * The interceptor that reports the calls of the paths `reported` accepts to `listener` and
 * registers their streams in `streams`.
 */
export function callInterceptor(
  listener: CallListener,
  streams: OpenStreams,
  reported: (path: string) => boolean,
): grpc.ServerInterceptor {
  return (descriptor, next) => {
    const info = callInfo(descriptor.path, grpcType(descriptor));
    const report = reported(descriptor.path);
    const started = performance.now();
    let done = false;
    let stream: OpenStream | undefined;
    const finish = (code: grpc.status) => {
      if (done) return false;
      done = true;
      if (stream !== undefined) streams.delete(stream);
      if (report) listener.finished(info, code, (performance.now() - started) / 1000);
      return true;
    };
    if (report) listener.started(info);
    const call: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(next, {
      start(startNext) {
        startNext({
          onReceiveMessage(message, nextMessage) {
            if (report) listener.received(info);
            nextMessage(message);
          },
          // grpc-js reports every end here, after a status too; only an end without one is
          // the client's cancel, or the deadline grpc-js enforced itself.
          onCancel() {
            finish(deadlinePassed(next) ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED);
          },
        });
      },
      sendMessage(message, nextMessage) {
        // Once the server has ended the stream, a handler that has not yet been told (grpc-js
        // tells it after the trailers) may still write: dropped, since a write after the end
        // would turn the status just sent into a stream error.
        if (done) return;
        if (report) listener.sent(info);
        nextMessage(message);
      },
      sendStatus(status, nextStatus) {
        // A handler finishing after the server ended its stream sends nothing more.
        if (finish(status.code)) nextStatus(status);
      },
    });
    BASE_CALLS.set(call, next);
    if (report && descriptor.responseStream) {
      stream = {
        connectionClosing: () => sessionClosing(next),
        end: (code, details) => call.sendStatus({ code, details }),
      };
      streams.add(stream);
    }
    return call;
  };
}

/**
 * Whether the HTTP/2 connection of a handler's call (`call` of a grpc-js server stream) is
 * closing. grpc-js hands the handler a wrapper of the outermost intercepting call in its
 * field `call` (private to grpc-js, pinned at 1.14.7; test/e2e/streams-and-drain.test.ts
 * fails if it moves); this interceptor must be the first, so that its call is that one.
 */
export function connectionClosing(handlerCall: object): boolean {
  const intercepted = (handlerCall as { call?: object }).call;
  const base = intercepted === undefined ? undefined : BASE_CALLS.get(intercepted);
  return base !== undefined && sessionClosing(base);
}

function grpcType(descriptor: grpc.ServerMethodDefinition<unknown, unknown>): GrpcType {
  if (descriptor.requestStream) return descriptor.responseStream ? "bidi_stream" : "client_stream";
  return descriptor.responseStream ? "server_stream" : "unary";
}

function deadlinePassed(call: grpc.ServerInterceptingCallInterface): boolean {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) && ms <= Date.now();
}

/**
 * Whether the call's HTTP/2 session is closing. grpc-js exposes no event for the GOAWAY it
 * sends at the connection age limit; it does call `session.close()`, which Node reports as
 * `session.closed`. The session is reached through the base call's `stream`, a field that is
 * private to grpc-js (pinned at 1.14.7; test/e2e/streams-and-drain.test.ts fails if it moves).
 */
function sessionClosing(base: grpc.ServerInterceptingCallInterface): boolean {
  const session = (base as unknown as { stream?: { session?: Http2Session } }).stream?.session;
  return session !== undefined && (session.closed || session.destroyed);
}
