/**
 * OpenTelemetry tracing: one SERVER span per RPC, continuing the caller's W3C `traceparent`
 * from gRPC metadata, and one "orchestration" child span per state proposal whose events are
 * the rules that ran. Spans are exported over OTLP/HTTP only when an endpoint is configured;
 * otherwise every call gets the same inert span and no provider is created or registered, so
 * tracing costs a function call. Nothing is registered globally even when on: the tracer is
 * used directly, which keeps the process's OTel globals free for an embedding application.
 * Background proposals, which no RPC carries, get a root "orchestration" span of their own.
 * Attributes follow the OpenTelemetry RPC semantic conventions (`rpc.system`, `rpc.service`,
 * `rpc.method`, `rpc.grpc.status_code`; a server span is an error only for the codes that
 * convention lists). Only src/transport imports OpenTelemetry; handlers see {@link RpcSpan}.
 */
import type { Metadata } from "@grpc/grpc-js";
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import type {
  ObservedOrchestration,
  OrchestrationSubject,
} from "../application/orchestration-observer.ts";

/** The span of one RPC, as the bridge and the handlers see it. */
export interface RpcSpan {
  /** Runs `orchestrate` inside an "orchestration" child span that records its outcome and rules. */
  orchestration<T extends ObservedOrchestration>(
    subject: OrchestrationSubject,
    orchestrate: () => Promise<T>,
  ): Promise<T>;
  /** Ends the span with the call's gRPC status code (`message` for a non-OK one). */
  end(code: number, message?: string): void;
}

export interface Tracing {
  /** False when no endpoint (nor test exporter) is configured: every span is inert. */
  readonly enabled: boolean;
  /** Starts the SERVER span of `method` (`/pkg.Service/Method`), child of the caller's trace. */
  startRpcSpan(method: string, metadata: Metadata): RpcSpan;
  /** Runs `orchestrate` inside a root "orchestration" span (a proposal no RPC carries). */
  orchestration<T extends ObservedOrchestration>(
    subject: OrchestrationSubject,
    orchestrate: () => Promise<T>,
  ): Promise<T>;
  /** Flushes pending spans to the exporter and stops it (bounded; never throws). */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** The OTLP/HTTP collector's base URL; spans go to `<endpoint>/v1/traces`. */
  readonly otlpEndpoint?: string | undefined;
  /** Test only: export each span synchronously to this exporter instead of OTLP. */
  readonly exporter?: SpanExporter | undefined;
}

/**
 * The gRPC codes that make a SERVER span an error (OpenTelemetry RPC conventions: UNKNOWN,
 * DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS); the others are the
 * caller's problem, not the server's. Numbers, so that tracing needs no grpc-js at run time.
 */
const SERVER_ERROR_CODES: ReadonlySet<number> = new Set([2, 4, 12, 13, 14, 15]);

/** How long shutdown may wait for the last export. */
const SHUTDOWN_DEADLINE_MS = 5000;

/** The span of every call when tracing is off: runs the orchestration, records nothing. */
export const INERT_SPAN: RpcSpan = {
  orchestration: (_subject, orchestrate) => orchestrate(),
  end() {},
};

const NOOP_TRACING: Tracing = {
  enabled: false,
  startRpcSpan: () => INERT_SPAN,
  orchestration: (_subject, orchestrate) => orchestrate(),
  shutdown: async () => {},
};

export function createTracing(options: TracingOptions = {}): Tracing {
  const { otlpEndpoint, exporter } = options;
  if (exporter === undefined && otlpEndpoint === undefined) return NOOP_TRACING;
  const provider = new TracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ "service.name": "flowgate" })),
    spanProcessors: [
      exporter === undefined
        ? new BatchSpanProcessor({
            exporter: new OTLPTraceExporter({
              url: `${otlpEndpoint?.replace(/\/+$/, "")}/v1/traces`,
              timeoutMillis: SHUTDOWN_DEADLINE_MS,
            }),
          })
        : new SimpleSpanProcessor({ exporter }),
    ],
  });
  const tracer = provider.getTracer("flowgate");
  const propagator = new W3CTraceContextPropagator();
  return {
    enabled: true,
    startRpcSpan(method, metadata) {
      const parent = propagator.extract(ROOT_CONTEXT, metadata, METADATA_GETTER);
      const [, service = "", name = ""] = method.split("/");
      const span = tracer.startSpan(
        `${service}/${name}`,
        {
          kind: SpanKind.SERVER,
          attributes: { "rpc.system": "grpc", "rpc.service": service, "rpc.method": name },
        },
        parent,
      );
      return rpcSpan(tracer, span);
    },
    orchestration: (subject, orchestrate) =>
      orchestrationSpan(tracer, ROOT_CONTEXT, subject, orchestrate),
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_DEADLINE_MS);
      });
      try {
        await Promise.race([provider.shutdown().catch(() => {}), deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function rpcSpan(tracer: Tracer, span: Span): RpcSpan {
  const parent = trace.setSpan(ROOT_CONTEXT, span);
  return {
    orchestration: (subject, orchestrate) =>
      orchestrationSpan(tracer, parent, subject, orchestrate),
    end(code, message) {
      span.setAttribute("rpc.grpc.status_code", code);
      if (SERVER_ERROR_CODES.has(code)) {
        span.setStatus(
          message === undefined
            ? { code: SpanStatusCode.ERROR }
            : { code: SpanStatusCode.ERROR, message },
        );
      }
      span.end();
    },
  };
}

/** An "orchestration" span under `parent`: the outcome, the policy and one event per rule. */
async function orchestrationSpan<T extends ObservedOrchestration>(
  tracer: Tracer,
  parent: Context,
  subject: OrchestrationSubject,
  orchestrate: () => Promise<T>,
): Promise<T> {
  const attributes: Attributes = {
    "flowgate.run_kind": subject.runKind,
    "flowgate.run_id": subject.runId,
    "flowgate.dry_run": subject.dryRun,
  };
  if (subject.origin !== undefined) attributes["flowgate.origin"] = subject.origin;
  const span = tracer.startSpan("orchestration", { attributes }, parent);
  try {
    const result = await orchestrate();
    span.setAttribute("flowgate.status", result.status);
    const { context } = result;
    if (context !== null) {
      span.setAttribute("flowgate.policy", context.policyName);
      for (const rule of context.ruleSignature) span.addEvent("rule.before", ruleAttr(rule));
      for (const rule of context.finalizationSignature) span.addEvent("rule.after", ruleAttr(rule));
      for (const rule of context.fizzledRules) span.addEvent("rule.fizzled", ruleAttr(rule));
    }
    return result;
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}

const ruleAttr = (rule: string): Attributes => ({ "flowgate.rule": rule });

/** Reads W3C trace-context headers from gRPC metadata (binary values are ignored). */
const METADATA_GETTER: TextMapGetter<Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get(metadata, key) {
    const values = metadata.get(key).filter((value): value is string => typeof value === "string");
    if (values.length === 0) return undefined;
    return values.length === 1 ? values[0] : values;
  },
};
