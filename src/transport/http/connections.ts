/**
 * The connections of the HTTP port, closed gracefully on shutdown. Node's servers stop
 * accepting on `close()` but keep HTTP/1.1 keep-alive connections and HTTP/2 sessions open
 * until their clients leave, and a server that speaks both (TLS with ALPN) has no call that
 * closes both kinds; so this tracker, written by hand, ends each HTTP/1.1 connection once it
 * carries no request, closes each HTTP/2 session with a GOAWAY (its open streams finish), and
 * destroys whatever is left when the grace period is over.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse, Http2Session } from "node:http2";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";

export class HttpConnections {
  /** HTTP/1.1 connections and the number of requests each is answering. */
  readonly #sockets = new Map<Socket, number>();
  readonly #sessions = new Set<Http2Session>();
  #draining = false;

  /** A new connection (plaintext, or once its TLS handshake is done). */
  connection = (socket: Socket | TLSSocket): void => {
    // HTTP/2 connections are followed as sessions.
    if ("alpnProtocol" in socket && socket.alpnProtocol === "h2") return;
    if (this.#draining) {
      socket.destroy();
      return;
    }
    this.#sockets.set(socket, 0);
    socket.once("close", () => this.#sockets.delete(socket));
  };

  session = (session: Http2Session): void => {
    this.#sessions.add(session);
    session.once("close", () => this.#sessions.delete(session));
    if (this.#draining) session.close();
  };

  request = (
    request: IncomingMessage | Http2ServerRequest,
    response: ServerResponse | Http2ServerResponse,
  ): void => {
    if (request.httpVersionMajor !== 1) return;
    const socket = request.socket as Socket;
    this.#sockets.set(socket, (this.#sockets.get(socket) ?? 0) + 1);
    response.once("close", () => {
      const busy = (this.#sockets.get(socket) ?? 1) - 1;
      this.#sockets.set(socket, busy);
      if (this.#draining && busy === 0) socket.end();
    });
  };

  /** Ends idle connections now, the others once their requests are answered. */
  drain(): void {
    this.#draining = true;
    for (const [socket, busy] of this.#sockets) if (busy === 0) socket.end();
    for (const session of this.#sessions) session.close();
  }

  /** Cuts every connection (the grace period is over). */
  destroyAll(): void {
    for (const socket of this.#sockets.keys()) socket.destroy();
    for (const session of this.#sessions) session.destroy();
  }
}
