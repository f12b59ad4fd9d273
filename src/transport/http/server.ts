/**
 * The HTTP port (`FLOWGATE_HTTP_PORT`): flowgate's services over the Connect protocol (JSON
 * and binary) and gRPC-Web, served by connect-node from the same handlers and through the
 * same edge interceptors as the gRPC port. Plaintext HTTP/1.1, or with TLS (the gRPC port's
 * certificate files, reloaded alike) HTTP/2 and HTTP/1.1 by ALPN. Health and reflection stay
 * on the gRPC port. The drain ends every open stream with UNAVAILABLE at once, then stops
 * accepting, lets in-flight calls finish within the grace period and cuts the rest.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import type { TlsConfig } from "../../config.ts";
import type { Logger } from "../../logger.ts";
import { secureContextOptions, type TlsFiles, TlsFileWatcher } from "../grpc/tls.ts";
import type { ServiceBinding } from "../handlers.ts";
import type { Interceptor } from "../interceptors/index.ts";
import { DRAIN_DETAILS, OpenStreams } from "../open-streams.ts";
import { HttpConnections } from "./connections.ts";
import { connectRoutes } from "./routes.ts";

export interface HttpServer {
  /** Binds and starts serving; resolves to the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number>;
  /** Ends every open stream with UNAVAILABLE, while calls are still accepted. */
  startDrain(): void;
  /** Drains ({@link startDrain}), refuses new calls, waits up to `graceMs` for in-flight ones, then cuts them. */
  shutdown(graceMs: number): Promise<void>;
}

export interface HttpServerOptions {
  readonly log: Logger;
  /** The edge interceptors (../interceptors/), the gRPC port's. */
  readonly edge: Interceptor;
  /** TLS with these files; absent: plaintext. */
  readonly tls?: TlsConfig | undefined;
}

export function createHttpServer(
  services: readonly ServiceBinding[],
  options: HttpServerOptions,
): HttpServer {
  const { log } = options;
  const streams = new OpenStreams();
  const handler = connectNodeAdapter({
    routes: connectRoutes(services, { log, edge: options.edge, streams }),
  });
  const connections = new HttpConnections();
  const files = options.tls === undefined ? undefined : new TlsFileWatcher(options.tls, log);
  const server =
    files === undefined
      ? http.createServer(handler)
      : http2.createSecureServer({ allowHTTP1: true, ...tlsOptions(files.current) }, handler);
  const reload = (next: TlsFiles) =>
    (server as http2.Http2SecureServer).setSecureContext(tlsOptions(next));
  files?.subscribe(reload);
  server.on(files === undefined ? "connection" : "secureConnection", connections.connection);
  server.on("session", connections.session);
  server.on("request", connections.request);

  const startDrain = () => {
    if (streams.size > 0) log.info({ streams: streams.size }, "ending open HTTP streams");
    streams.endAll(grpc.status.UNAVAILABLE, DRAIN_DETAILS);
  };
  return {
    listen(host, port) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    startDrain,
    shutdown(graceMs) {
      startDrain();
      files?.unsubscribe(reload);
      return new Promise((resolve) => {
        const force = setTimeout(() => {
          log.warn({ graceMs }, "grace period over; cutting in-flight HTTP calls");
          connections.destroyAll();
        }, graceMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        connections.drain();
      });
    },
  };
}

/** The TLS options of the server: with a client CA, clients must present a certificate it signed. */
function tlsOptions(files: TlsFiles): http2.SecureServerOptions {
  const requireClient = files.caCertificate !== undefined;
  return {
    ...secureContextOptions(files),
    requestCert: requireClient,
    rejectUnauthorized: requireClient,
  };
}
