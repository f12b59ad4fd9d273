/**
 * The bridge from flowgate's service bindings to grpc-js: a ServiceDefinition per generated
 * service descriptor, and per call what adapts grpc-js to the edge interceptors and the
 * handlers. It decodes the request (a malformed message is INVALID_ARGUMENT, not INTERNAL,
 * and still goes through the interceptors: it is authenticated, logged and counted), exposes
 * cancellation as an AbortSignal whose reason is the status the call ends with, writes a
 * stream's messages with flow control, registers streams so that the server can end them
 * (drain, connection age), and maps errors to statuses (errors.ts).
 */
import {
  create,
  type DescMessage,
  type DescMethod,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import { InvalidRequestError } from "../../domain/index.ts";
import type { Logger } from "../../logger.ts";
import {
  type CallContext,
  type CallHeaders,
  callInfo,
  methodPath,
  settledOrAborted,
} from "../call.ts";
import type { ServiceBinding } from "../handlers.ts";
import { clientCancelled, deadlinePassed } from "../interceptors/deadline.ts";
import type { Interceptor, Next } from "../interceptors/index.ts";
import type { OpenStreams } from "../open-streams.ts";
import { INERT_SPAN } from "../tracing.ts";
import { StatusError, toServiceError } from "./errors.ts";
import { connectionClosing } from "./server-calls.ts";

export interface BridgeOptions {
  readonly log: Logger;
  /** The edge interceptors, around every handler. */
  readonly edge: Interceptor;
  /** Where server-streaming calls are registered, to be ended on drain. */
  readonly streams: OpenStreams;
}

export function addService(
  server: grpc.Server,
  binding: ServiceBinding,
  options: BridgeOptions,
): void {
  const { service } = binding;
  const definition: Record<string, grpc.MethodDefinition<Buffer, unknown>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const path = methodPath(method);
    definition[method.name] = {
      path,
      requestStream: false,
      responseStream: method.methodKind === "server_streaming",
      // Decoding happens in the call so that a malformed request is INVALID_ARGUMENT.
      requestSerialize: (bytes: Buffer) => bytes,
      requestDeserialize: (bytes: Buffer) => bytes,
      responseSerialize: (message: unknown) =>
        Buffer.from(toBinary(method.output, message as MessageShape<DescMessage>)),
      responseDeserialize: (bytes: Buffer) => fromBinary(method.output, bytes),
      originalName: method.localName,
    };
    const call = new MethodCalls(method, path, options.edge(binding.handlerStep(method)), options);
    implementation[method.name] =
      method.methodKind === "server_streaming" ? call.serverStream : call.unary;
  }
  server.addService(definition as grpc.ServiceDefinition, implementation);
}

/** The calls of one method. */
class MethodCalls {
  readonly #method: DescMethod;
  readonly #path: string;
  readonly #invoke: Next;
  readonly #options: BridgeOptions;

  constructor(method: DescMethod, path: string, invoke: Next, options: BridgeOptions) {
    this.#method = method;
    this.#path = path;
    this.#invoke = invoke;
    this.#options = options;
  }

  readonly unary: grpc.handleUnaryCall<Buffer, unknown> = (call, callback) => {
    const controller = abortOnCancel(call);
    const context = this.#context(call, controller.signal, "unary");
    this.#run(call.request, context).then(
      (response) =>
        callback(null, create(this.#method.output, response as MessageInitShape<DescMessage>)),
      (error: unknown) => callback(toServiceError(error, this.#options.log, this.#path)),
    );
  };

  readonly serverStream: grpc.handleServerStreamingCall<Buffer, unknown> = (call) => {
    const { streams } = this.#options;
    const controller = abortOnCancel(call);
    const { signal } = controller;
    const stream = {
      connectionClosing: () => connectionClosing(call),
      end: (code: grpc.status, details: string) => controller.abort(new StatusError(code, details)),
    };
    streams.add(stream);
    const send = async (message: MessageInitShape<DescMessage>) => {
      // A stream that has ended drops what its handler still sends.
      if (signal.aborted || call.write(create(this.#method.output, message))) return;
      await settledOrAborted(new Promise((drained) => call.once("drain", drained)), signal);
    };
    const context = { ...this.#context(call, signal, "server_stream"), send };
    this.#run(call.request, context)
      .then(
        () => call.end(),
        (error: unknown) =>
          call.emit("error", toServiceError(error, this.#options.log, this.#path)),
      )
      .finally(() => streams.delete(stream));
  };

  /** Decodes the request and runs the interceptors and the handler on it. */
  #run(bytes: Buffer, context: CallContext) {
    let request: MessageShape<DescMessage>;
    try {
      // Unknown fields mean nothing to flowgate: dropping them keeps a request's memory to
      // what the contract bounds.
      request = fromBinary(this.#method.input, bytes, { readUnknownFields: false });
    } catch (error) {
      const malformed = new InvalidRequestError(
        `malformed ${this.#method.input.typeName}: ${(error as Error).message}`,
      );
      // Through the interceptors all the same, with a handler that refuses it.
      const refuse = this.#options.edge(() => Promise.reject(malformed));
      return refuse(create(this.#method.input), context);
    }
    return this.#invoke(request, context);
  }

  #context(
    call: grpc.ServerUnaryCall<Buffer, unknown> | grpc.ServerWritableStream<Buffer, unknown>,
    signal: AbortSignal,
    type: "unary" | "server_stream",
  ): CallContext {
    return {
      info: callInfo(this.#path, type),
      protocol: "grpc",
      headers: metadataHeaders(call.metadata),
      signal,
      span: INERT_SPAN,
    };
  }
}

/** An AbortController aborted, with the call's status, when grpc-js cancels the call. */
function abortOnCancel(
  call: grpc.ServerUnaryCall<Buffer, unknown> | grpc.ServerWritableStream<Buffer, unknown>,
): AbortController {
  const controller = new AbortController();
  call.once("cancelled", () => controller.abort(abortStatus(call.getDeadline())));
  return controller;
}

/**
 * Why grpc-js cancelled a call. It cancels when the client resets the stream and when the
 * deadline timer fires (it has then answered DEADLINE_EXCEEDED itself); only the time tells
 * the two apart. Timers may fire a millisecond before the clock reads the deadline, hence
 * the slack.
 */
function abortStatus(deadline: grpc.Deadline): StatusError {
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  return Date.now() + DEADLINE_SLACK_MS >= deadlineMs ? deadlinePassed() : clientCancelled();
}

const DEADLINE_SLACK_MS = 5;

/** gRPC metadata as {@link CallHeaders} (binary values are left out). */
function metadataHeaders(metadata: grpc.Metadata): CallHeaders {
  return {
    get(name) {
      const value = metadata.get(name).find((entry) => typeof entry === "string");
      return typeof value === "string" ? value : undefined;
    },
    keys: () => Object.keys(metadata.getMap()),
  };
}
