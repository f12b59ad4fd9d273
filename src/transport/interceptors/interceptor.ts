/**
 * The shape of every step at the edge, as in connect-es and nice-grpc: an interceptor takes
 * the next step and returns a step that does its part around it. A step gets the decoded
 * request and the call's context, and resolves to the unary response (undefined for a server
 * stream, which sends through `context.send`) or rejects with the call's error.
 */
import type { CallContext, RequestMessage, ResponseMessage } from "../call.ts";

/** One step of a call: the handler, or an interceptor around it. */
export type Next = (
  request: RequestMessage,
  context: CallContext,
) => Promise<ResponseMessage | undefined>;

export type Interceptor = (next: Next) => Next;

/** One interceptor that runs `interceptors` in order: the first is the outermost. */
export function compose(interceptors: readonly Interceptor[]): Interceptor {
  return (handler) => interceptors.reduceRight((next, interceptor) => interceptor(next), handler);
}
