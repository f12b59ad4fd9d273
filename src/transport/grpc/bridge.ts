/**
 * The bridge from a protobuf-es service descriptor to a grpc-js ServiceDefinition, with
 * typed handlers. Every call goes through one wrapper that decodes the request (a malformed
 * message is INVALID_ARGUMENT, not INTERNAL), validates it against the contract's limits
 * (validate.ts), exposes cancellation as an AbortSignal, maps
 * errors to statuses (errors.ts), writes one log line and traces the call (tracing.ts).
 */
import {
  create,
  type DescMessage,
  type DescMethod,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  type MessageValidType,
  toBinary,
} from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import * as grpc from "@grpc/grpc-js";
import { InvalidArgumentError } from "../../domain/service-errors.ts";
import type { Logger } from "../../logger.ts";
import { INERT_SPAN, type RpcSpan, type Tracing } from "../tracing.ts";
import type { Authenticator } from "./auth.ts";
import { toServiceError } from "./errors.ts";
import { validateRequest } from "./validate.ts";

/** What a handler knows about its call besides the request. */
export interface CallContext {
  /** Aborted when the client cancels, the deadline passes or the server force-stops. */
  readonly signal: AbortSignal;
  readonly metadata: grpc.Metadata;
  /** The gRPC method path, `/flowgate.v1.FlowService/CreateFlow`. */
  readonly method: string;
  /** The call's trace span (inert when tracing is off): handlers record orchestrations on it. */
  readonly span: RpcSpan;
}

type Method = GenServiceMethods[string];
/** A request that passed validation: fields the contract requires are typed as present. */
type Input<M extends Method> = MessageValidType<M["input"]>;
type Output<M extends Method> = MessageInitShape<M["output"]>;

export type UnaryHandler<M extends Method> = (
  request: Input<M>,
  call: CallContext,
) => Promise<Output<M>>;
/** A server-streaming handler sends with `send` (which waits for flow control) and returns to end the stream. */
export type ServerStreamHandler<M extends Method> = (
  request: Input<M>,
  call: CallContext,
  send: (message: Output<M>) => Promise<void>,
) => Promise<void>;

export type ServiceHandlers<S extends GenServiceMethods> = {
  [K in keyof S]: S[K]["methodKind"] extends "unary"
    ? UnaryHandler<S[K]>
    : S[K]["methodKind"] extends "server_streaming"
      ? ServerStreamHandler<S[K]>
      : never;
};

/** The handlers of a generated service: `HandlersFor<typeof FlowService>`. */
export type HandlersFor<T> = T extends GenService<infer S> ? ServiceHandlers<S> : never;

/** Observes every finished call (logging, metrics). */
export type CallObserver = (
  method: string,
  code: grpc.status,
  durationMs: number,
  error?: unknown,
) => void;

/** What every call of flowgate's services goes through, besides its handler. */
export interface CallPipeline {
  readonly observe: CallObserver;
  readonly log: Logger;
  /** Throws UNAUTHENTICATED; absent when authentication is off. */
  readonly authenticate?: Authenticator | undefined;
  /**
   * Admission control for unary calls: returns the release of a slot, or throws
   * RESOURCE_EXHAUSTED when too many calls are in flight (instead of queueing unboundedly).
   */
  readonly admit?: (() => () => void) | undefined;
  /** Starts a span per call; absent means no tracing. */
  readonly tracing?: Tracing | undefined;
}

export function addService<S extends GenServiceMethods>(
  server: grpc.Server,
  service: GenService<S>,
  handlers: ServiceHandlers<S>,
  pipeline: CallPipeline,
): void {
  const definition: Record<string, grpc.MethodDefinition<Buffer, unknown>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const path = `/${service.typeName}/${method.name}`;
    const handler = (handlers as Record<string, unknown>)[method.localName];
    definition[method.name] = {
      path,
      requestStream: false,
      responseStream: method.methodKind === "server_streaming",
      // Decoding happens in the wrapper so that a malformed request is INVALID_ARGUMENT.
      requestSerialize: (bytes: Buffer) => bytes,
      requestDeserialize: (bytes: Buffer) => bytes,
      responseSerialize: (message: unknown) =>
        Buffer.from(toBinary(method.output, message as MessageShape<DescMessage>)),
      responseDeserialize: (bytes: Buffer) => fromBinary(method.output, bytes),
      originalName: method.localName,
    };
    implementation[method.name] =
      method.methodKind === "server_streaming"
        ? serverStream(method, path, handler as ServerStreamHandler<Method>, pipeline)
        : unary(method, path, handler as UnaryHandler<Method>, pipeline);
  }
  server.addService(definition as grpc.ServiceDefinition, implementation);
}

function unary(
  method: DescMethod,
  path: string,
  handler: UnaryHandler<Method>,
  pipeline: CallPipeline,
): grpc.handleUnaryCall<Buffer, unknown> {
  const { observe, log } = pipeline;
  return (call, callback) => {
    const started = performance.now();
    const context = callContext(call, path, pipeline);
    run(method, call.request, context, pipeline, async (request) => {
      const release = pipeline.admit?.();
      try {
        return await handler(request, context);
      } finally {
        release?.();
      }
    })
      .then((response) => {
        callback(null, create(method.output, response as MessageInitShape<DescMessage>));
        context.span.end(grpc.status.OK);
        observe(path, grpc.status.OK, performance.now() - started);
      })
      .catch((error: unknown) => {
        const status = toServiceError(error, log, path);
        callback(status);
        context.span.end(status.code, status.details);
        observe(path, status.code, performance.now() - started, error);
      });
  };
}

function serverStream(
  method: DescMethod,
  path: string,
  handler: ServerStreamHandler<Method>,
  pipeline: CallPipeline,
): grpc.handleServerStreamingCall<Buffer, unknown> {
  const { observe, log } = pipeline;
  return (call) => {
    const started = performance.now();
    const context = callContext(call, path, pipeline);
    const send = (message: unknown) =>
      new Promise<void>((resolve) => {
        const ready = call.write(create(method.output, message as MessageInitShape<DescMessage>));
        if (ready) resolve();
        else call.once("drain", () => resolve());
      });
    run(method, call.request, context, pipeline, (request) => handler(request, context, send))
      .then(() => {
        call.end();
        context.span.end(grpc.status.OK);
        observe(path, grpc.status.OK, performance.now() - started);
      })
      .catch((error: unknown) => {
        const code = context.signal.aborted ? grpc.status.CANCELLED : undefined;
        const status = toServiceError(error, log, path);
        if (code === undefined) call.emit("error", status);
        context.span.end(code ?? status.code, code === undefined ? status.details : "cancelled");
        observe(path, code ?? status.code, performance.now() - started, error);
      });
  };
}

async function run<T>(
  method: DescMethod,
  bytes: Buffer,
  context: CallContext,
  pipeline: CallPipeline,
  invoke: (request: MessageShape<DescMessage>) => Promise<T>,
): Promise<T> {
  pipeline.authenticate?.(context.metadata);
  let request: MessageShape<DescMessage>;
  try {
    // Unknown fields mean nothing to flowgate: dropping them keeps a request's memory to
    // what the contract bounds.
    request = fromBinary(method.input, bytes, { readUnknownFields: false });
  } catch (error) {
    throw new InvalidArgumentError(
      "",
      `malformed ${method.input.typeName}: ${(error as Error).message}`,
    );
  }
  validateRequest(method.input, request);
  context.signal.throwIfAborted();
  return invoke(request);
}

function callContext(
  call: grpc.ServerUnaryCall<Buffer, unknown> | grpc.ServerWritableStream<Buffer, unknown>,
  method: string,
  pipeline: CallPipeline,
): CallContext {
  const controller = new AbortController();
  call.once("cancelled", () => controller.abort(new Error("call cancelled")));
  const span = pipeline.tracing?.startRpcSpan(method, call.metadata) ?? INERT_SPAN;
  return { signal: controller.signal, metadata: call.metadata, method, span };
}
