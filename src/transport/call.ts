/**
 * One call of a flowgate service as the edge sees it, whatever carried it: gRPC on the
 * grpc-js port, or Connect / gRPC-Web on the HTTP port. Each server's adapter decodes the
 * request and builds a {@link CallContext}; from there the same interceptors
 * (interceptors/) and the same handlers (grpc/handlers/) run for every protocol.
 */
import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { RpcSpan } from "./tracing.ts";

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

/** A method's path, `/flowgate.v1.FlowService/CreateFlow`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

export function callInfo(path: string, type: GrpcType): CallInfo {
  const [, service = "", method = ""] = path.split("/");
  return { path, service, method, type };
}

/** The wire protocol of a call. */
export type Protocol = "grpc" | "grpc-web" | "connect";

/** The request's headers (gRPC metadata or HTTP headers): text values, lower-case names. */
export interface CallHeaders {
  get(name: string): string | undefined;
  keys(): string[];
}

/** A decoded request message. */
export type RequestMessage = MessageShape<DescMessage>;
/** What a handler answers (a unary response), before it is encoded. */
export type ResponseMessage = MessageInitShape<DescMessage>;

/** What a handler and the interceptors know about a call besides its request. */
export interface CallContext {
  readonly info: CallInfo;
  readonly protocol: Protocol;
  readonly headers: CallHeaders;
  /**
   * Aborted when the client cancels, the deadline passes or the server ends the call (drain);
   * its reason is the status the call then ends with (a StatusError).
   */
  readonly signal: AbortSignal;
  /** The call's trace span (inert when tracing is off): handlers record orchestrations on it. */
  readonly span: RpcSpan;
  /** Sends one message of a server stream, waiting for flow control; absent on unary calls. */
  readonly send?: ((message: ResponseMessage) => Promise<void>) | undefined;
}

/**
 * Resolves once `pending` settles or `signal` aborts, whichever comes first: a stream's send
 * waiting for flow control must not outlive its call.
 */
export function settledOrAborted(pending: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    pending.then(done, done);
  });
}
