/**
 * Every call the grpc-js server takes — flowgate's services, health, reflection — followed
 * from its headers to its final status by one server interceptor, so that metrics and the
 * per-call log line see what the client saw: the status actually sent, CANCELLED when the
 * client went away, DEADLINE_EXCEEDED when grpc-js ended the call at its deadline.
 *
 * The same interceptor registers each server-streaming call in {@link OpenStreams}, which
 * can end it with a status of the server's choosing (UNAVAILABLE on drain or when its
 * connection is closing): grpc-js would otherwise keep such a stream, which never ends by
 * itself, until the grace period runs out and the connection is torn down.
 */
import type { Http2Session } from "node:http2";
import * as grpc from "@grpc/grpc-js";

/** go-grpc-prometheus's `grpc_type`. */
export type GrpcType = "unary" | "client_stream" | "server_stream" | "bidi_stream";

/** A call as metrics and logs name it. */
export interface CallInfo {
  /** `/pkg.Service/Method` */
  readonly path: string;
  readonly service: string;
  readonly method: string;
  readonly type: GrpcType;
}

/** Told about each call's life; `finished` exactly once per call. */
export interface CallListener {
  started(call: CallInfo): void;
  received(call: CallInfo): void;
  sent(call: CallInfo): void;
  finished(call: CallInfo, code: grpc.status, seconds: number): void;
}

/** A server-streaming call that the server may end before its handler does. */
interface OpenStream {
  /** True once the call's HTTP/2 connection is closing (GOAWAY sent: age limit, shutdown). */
  connectionClosing(): boolean;
  end(code: grpc.status, details: string): void;
}

/** How often open streams are checked for a closing connection. */
const CONNECTION_CHECK_MS = 500;

/** The open server-streaming calls, ended on drain or when their connection closes. */
export class OpenStreams {
  readonly #streams = new Set<OpenStream>();
  #timer: NodeJS.Timeout | undefined;

  get size(): number {
    return this.#streams.size;
  }

  add(stream: OpenStream): void {
    this.#streams.add(stream);
    this.#timer ??= setInterval(() => this.#endClosing(), CONNECTION_CHECK_MS).unref();
  }

  delete(stream: OpenStream): void {
    this.#streams.delete(stream);
    if (this.#streams.size === 0) this.#stopTimer();
  }

  /** Ends every open stream with `code` (the server is shutting down). */
  endAll(code: grpc.status, details: string): void {
    for (const stream of [...this.#streams]) stream.end(code, details);
    this.#stopTimer();
  }

  /**
   * A connection that reached its maximum age got a GOAWAY: its streams would be cut when
   * the age grace ends. End them now with UNAVAILABLE so that clients reconnect at once
   * (on a new connection, possibly to another replica).
   */
  #endClosing(): void {
    for (const stream of [...this.#streams]) {
      if (stream.connectionClosing()) {
        stream.end(
          grpc.status.UNAVAILABLE,
          "the connection reached its maximum age; reconnect and watch again",
        );
      }
    }
  }

  #stopTimer(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** The interceptor that reports every call to `listener` and registers streams in `streams`. */
export function callInterceptor(
  listener: CallListener,
  streams: OpenStreams,
): grpc.ServerInterceptor {
  return (descriptor, next) => {
    const info = callInfo(descriptor);
    const started = performance.now();
    let done = false;
    let stream: OpenStream | undefined;
    const finish = (code: grpc.status) => {
      if (done) return false;
      done = true;
      if (stream !== undefined) streams.delete(stream);
      listener.finished(info, code, (performance.now() - started) / 1000);
      return true;
    };
    listener.started(info);
    const call: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(next, {
      start(startNext) {
        startNext({
          onReceiveMessage(message, nextMessage) {
            listener.received(info);
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
        listener.sent(info);
        nextMessage(message);
      },
      sendStatus(status, nextStatus) {
        // A handler finishing after the server ended its stream sends nothing more.
        if (finish(status.code)) nextStatus(status);
      },
    });
    if (descriptor.responseStream) {
      stream = {
        connectionClosing: () => sessionClosing(next),
        end: (code, details) => call.sendStatus({ code, details }),
      };
      streams.add(stream);
    }
    return call;
  };
}

function callInfo(descriptor: grpc.ServerMethodDefinition<unknown, unknown>): CallInfo {
  const [, service = "", method = ""] = descriptor.path.split("/");
  const type: GrpcType = descriptor.requestStream
    ? descriptor.responseStream
      ? "bidi_stream"
      : "client_stream"
    : descriptor.responseStream
      ? "server_stream"
      : "unary";
  return { path: descriptor.path, service, method, type };
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
 * This interceptor must be the first, so that `next` is that base call.
 */
function sessionClosing(base: grpc.ServerInterceptingCallInterface): boolean {
  const session = (base as unknown as { stream?: { session?: Http2Session } }).stream?.session;
  return session !== undefined && (session.closed || session.destroyed);
}
