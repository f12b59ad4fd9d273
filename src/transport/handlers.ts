/**
 * Typed handlers for a generated service, and the binding of a service to its handlers that
 * both servers take (one set of handlers, two servers). {@link handlerStep} is the innermost
 * step of every call, after the interceptors: it runs the method's handler on the decoded
 * request.
 */
import type {
  DescMethod,
  MessageInitShape,
  MessageShape,
  MessageValidType,
} from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { CallContext } from "./call.ts";
import { validateRequest } from "./grpc/validate.ts";
import type { Next } from "./interceptors/interceptor.ts";

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

/** A service and its handlers, served as they are by every server. */
export interface ServiceBinding {
  readonly service: GenService<GenServiceMethods>;
  /** The step that runs `method`'s handler. */
  handlerStep(method: DescMethod): Next;
}

export function bindService<S extends GenServiceMethods>(
  service: GenService<S>,
  handlers: ServiceHandlers<S>,
): ServiceBinding {
  return {
    service: service as GenService<GenServiceMethods>,
    handlerStep(method) {
      const handler = (handlers as Record<string, unknown>)[method.localName];
      if (typeof handler !== "function")
        throw new Error(`no handler for ${service.typeName}.${method.name}`);
      return handlerStep(method, handler as UntypedHandler);
    },
  };
}

type UntypedHandler = (
  request: MessageShape<DescMethod["input"]>,
  call: CallContext,
  send?: CallContext["send"],
) => Promise<MessageInitShape<DescMethod["output"]> | undefined>;

/**
 * The innermost step: the request is checked against the contract (protovalidate,
 * validate.ts), then the handler runs. Here, both servers check it after authentication and
 * admission, and a request that did not decode never reaches it.
 */
function handlerStep(method: DescMethod, handler: UntypedHandler): Next {
  if (method.methodKind === "server_streaming") {
    return async (request, context) => {
      const { send } = context;
      if (send === undefined) throw new Error(`${method.name} is a stream: the call needs send`);
      validateRequest(method.input, request);
      await handler(request, context, send);
      return undefined;
    };
  }
  return (request, context) => {
    validateRequest(method.input, request);
    return handler(request, context);
  };
}
