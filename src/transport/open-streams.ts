/**
 * The open server-streaming calls of a server, which never end by themselves (watches): the
 * server ends them with a status of its choosing, UNAVAILABLE on drain or when their
 * connection is closing, so that clients reconnect at once (possibly to another replica)
 * instead of holding the shutdown until the grace period runs out.
 */
import { status } from "@grpc/grpc-js";

/** A server-streaming call that the server may end before its handler does. */
export interface OpenStream {
  /** True once the call's connection is closing (HTTP/2 GOAWAY sent: age limit, shutdown). */
  connectionClosing(): boolean;
  end(code: status, details: string): void;
}

/** How often open streams are checked for a closing connection. */
const CONNECTION_CHECK_MS = 500;

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
  endAll(code: status, details: string): void {
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
          status.UNAVAILABLE,
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

/** The details of the status that ends open streams on drain. */
export const DRAIN_DETAILS = "flowgate is shutting down; reconnect to another replica";
