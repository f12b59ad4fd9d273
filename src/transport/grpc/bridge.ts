/**
 * The bridge from a protobuf-es service descriptor to a grpc-js ServiceDefinition, with
 * typed handlers. Every call goes through one wrapper that decodes the request (a malformed
 * message is INVALID_ARGUMENT, not INTERNAL), validates it against the contract's limits
 * (validate.ts), exposes cancellation as an AbortSignal, maps errors to statuses (errors.ts) and traces the call (tracing.ts). The log line and the RPC
 * metrics of each call come from the server's call interceptor (server-calls.ts).
 *
 * A call the client gave up on (it cancelled, or its deadline passed) ends as CANCELLED or
 * DEADLINE_EXCEEDED whatever its handler then threw (an AbortError, or a database error the
 * abort caused): that is the status the client saw, and it is no fault of the server.
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
import { InvalidRequestError } from "../../domain/index.ts";
import type { Logger } from "../../logger.ts";
import { INERT_SPAN, type RpcSpan, type Tracing } from "../tracing.ts";
import type { Authenticator } from "./auth.ts";
import { StatusError, toServiceError } from "./errors.ts";
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

/** What every call of flowgate's services goes through, besides its handler. */
export interface CallPipeline {
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
  const { log } = pipeline;
  return (call, callback) => {
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
        if (context.signal.aborted) throw context.signal.reason;
        callback(null, create(method.output, response as MessageInitShape<DescMessage>));
        context.span.end(grpc.status.OK);
      })
      .catch((error: unknown) => {
        const status = toServiceError(failure(error, context, log), log, path);
        callback(status);
        context.span.end(status.code, status.details);
      });
  };
}

function serverStream(
  method: DescMethod,
  path: string,
  handler: ServerStreamHandler<Method>,
  pipeline: CallPipeline,
): grpc.handleServerStreamingCall<Buffer, unknown> {
  const { log } = pipeline;
  return (call) => {
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
      })
      .catch((error: unknown) => {
        const status = toServiceError(failure(error, context, log), log, path);
        if (!context.signal.aborted) call.emit("error", status);
        context.span.end(status.code, status.details);
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
    throw new InvalidRequestError(
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
  call.once("cancelled", () => controller.abort(abortStatus(call.getDeadline())));
  const span = pipeline.tracing?.startRpcSpan(method, call.metadata) ?? INERT_SPAN;
  return { signal: controller.signal, metadata: call.metadata, method, span };
}

/**
 * Why grpc-js cancelled a call. It cancels when the client resets the stream and when the
 * deadline timer fires (it has then answered DEADLINE_EXCEEDED itself); only the time tells
 * the two apart. Timers may fire a millisecond before the clock reads the deadline, hence
 * the slack.
 */
function abortStatus(deadline: grpc.Deadline): StatusError {
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  return Date.now() + DEADLINE_SLACK_MS >= deadlineMs
    ? new StatusError(
        grpc.status.DEADLINE_EXCEEDED,
        "the call's deadline passed",
        "DEADLINE_EXCEEDED",
      )
    : new StatusError(grpc.status.CANCELLED, "the client cancelled the call", "CALL_CANCELLED");
}

const DEADLINE_SLACK_MS = 5;

/**
 * What a finished call failed with: the abort's status once the client gave up (the
 * handler's own error, usually caused by the abort, is only worth a debug line), else the
 * handler's error.
 */
function failure(error: unknown, context: CallContext, log: Logger): unknown {
  if (!context.signal.aborted) return error;
  if (error !== context.signal.reason) {
    log.debug({ err: error, method: context.method }, "call ended after the client gave up");
  }
  return context.signal.reason;
}
