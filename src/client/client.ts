/**
 * The flowgate client: typed connect-es clients for every flowgate service over one gRPC
 * (HTTP/2) connection, with the conveniences a caller would otherwise write by hand (as
 * examples/python-worker/worker.py does): bearer-token metadata, TLS, a transition id on
 * every state proposal, and retries of ABORTED / UNAVAILABLE with the same request.
 */
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { ConcurrencyLimitService } from "../../gen/flowgate/v1/concurrency_limit_pb.js";
import { DeploymentService } from "../../gen/flowgate/v1/deployment_pb.js";
import { FlowService } from "../../gen/flowgate/v1/flow_pb.js";
import { FlowRunService } from "../../gen/flowgate/v1/flow_run_pb.js";
import { TaskRunService } from "../../gen/flowgate/v1/task_run_pb.js";
import { type RetryOptions, retryInterceptor } from "./retry.ts";
import { transitionIdInterceptor } from "./transition-ids.ts";

/** TLS material, as PEM text or buffers (read the files yourself, or let the CLI do it). */
export interface TlsOptions {
  /** CA certificates to trust instead of the system's. */
  readonly ca?: string | Buffer;
  /** Client certificate and key, for servers that require mutual TLS. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
}

export interface FlowgateClientOptions {
  /** `host:port` (default `127.0.0.1:50051`), or a URL `http://…` / `https://…`. */
  readonly address?: string;
  /** Sent as `authorization: Bearer <token>` on every call. */
  readonly token?: string;
  /** Connect with TLS (`https`); `true` trusts the system's CAs. */
  readonly tls?: boolean | TlsOptions;
  /** Retry behaviour; `{ maxAttempts: 1 }` turns retries off. */
  readonly retry?: RetryOptions;
  /** Applied to every call; the last one runs first, as in connect-es. */
  readonly interceptors?: readonly Interceptor[];
  /**
   * Instead of connecting: builds a transport of your own that applies the client's
   * interceptors (tests pass connect-es' in-memory `createRouterTransport`).
   */
  readonly transport?: (interceptors: Interceptor[]) => Transport;
}

/** One client per flowgate service, sharing one connection. */
export interface FlowgateClient {
  readonly flows: Client<typeof FlowService>;
  readonly deployments: Client<typeof DeploymentService>;
  readonly flowRuns: Client<typeof FlowRunService>;
  readonly taskRuns: Client<typeof TaskRunService>;
  readonly concurrencyLimits: Client<typeof ConcurrencyLimitService>;
  /** A client for any service on the same connection. */
  client<T extends DescService>(service: T): Client<T>;
  /** Closes the connection; calls in flight fail. */
  close(): void;
}

export const DEFAULT_ADDRESS = "127.0.0.1:50051";

/** The base URL for `address`: a URL is kept, `host:port` gets the scheme `tls` implies. */
export function baseUrlOf(address: string, tls: boolean): string {
  if (/^https?:\/\//.test(address)) return address;
  return `${tls ? "https" : "http"}://${address}`;
}

/** A flowgate client; see {@link FlowgateClientOptions}. */
export function createFlowgateClient(options: FlowgateClientOptions = {}): FlowgateClient {
  const interceptors = [
    ...(options.interceptors ?? []),
    retryInterceptor(options.retry),
    transitionIdInterceptor(),
    ...(options.token === undefined ? [] : [bearerToken(options.token)]),
  ];
  let sessions: Http2SessionManager | undefined;
  let transport: Transport;
  if (options.transport === undefined) {
    const tls = options.tls ?? false;
    const baseUrl = baseUrlOf(options.address ?? DEFAULT_ADDRESS, tls !== false);
    sessions = new Http2SessionManager(baseUrl, {}, typeof tls === "object" ? { ...tls } : {});
    transport = createGrpcTransport({ baseUrl, sessionManager: sessions, interceptors });
  } else {
    transport = options.transport(interceptors);
  }
  const client = <T extends DescService>(service: T) => createClient(service, transport);
  return {
    flows: client(FlowService),
    deployments: client(DeploymentService),
    flowRuns: client(FlowRunService),
    taskRuns: client(TaskRunService),
    concurrencyLimits: client(ConcurrencyLimitService),
    client,
    close: () => sessions?.abort(),
  };
}

function bearerToken(token: string): Interceptor {
  return (next) => (request) => {
    request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
}
