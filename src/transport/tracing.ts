/**
 * OpenTelemetry tracing: one SERVER span per RPC, continuing the caller's W3C `traceparent`
 * from gRPC metadata, and one "orchestration" child span per state proposal whose events are
 * the rules that ran. Spans are exported over OTLP/HTTP only when an endpoint is configured;
 * otherwise every call gets the same inert span and no provider is created or registered, so
 * tracing costs a function call. Nothing is registered globally even when on: the tracer is
 * used directly, which keeps the process's OTel globals free for an embedding application.
 * Only src/transport imports OpenTelemetry; handlers see the {@link RpcSpan} interface.
 */
import type { Metadata } from "@grpc/grpc-js";
import {
  type Attributes,
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

/** What an orchestration returns that a trace reports (a flow or task run's result). */
export interface TracedOrchestration {
  readonly status: string;
  readonly context: {
    readonly policyName: string;
    readonly ruleSignature: readonly string[];
    readonly finalizationSignature: readonly string[];
    readonly fizzledRules: readonly string[];
  };
}

/** Which proposal an orchestration span is about. */
export interface OrchestrationSubject {
  readonly runKind: "flow_run" | "task_run";
  readonly runId: string;
  readonly dryRun: boolean;
}

/** The span of one RPC, as the bridge and the handlers see it. */
export interface RpcSpan {
  /** Runs `orchestrate` inside an "orchestration" child span that records its outcome and rules. */
  orchestration<T extends TracedOrchestration>(
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
  /** Flushes pending spans to the exporter and stops it (bounded; never throws). */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** The OTLP/HTTP collector's base URL; spans go to `<endpoint>/v1/traces`. */
  readonly otlpEndpoint?: string | undefined;
  /** Test only: export each span synchronously to this exporter instead of OTLP. */
  readonly exporter?: SpanExporter | undefined;
}

/** grpc.status.OK, without importing grpc-js at run time. */
const GRPC_OK = 0;

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
  return {
    async orchestration(subject, orchestrate) {
      const child = tracer.startSpan(
        "orchestration",
        {
          attributes: {
            "flowgate.run_kind": subject.runKind,
            "flowgate.run_id": subject.runId,
            "flowgate.dry_run": subject.dryRun,
          },
        },
        trace.setSpan(ROOT_CONTEXT, span),
      );
      try {
        const result = await orchestrate();
        const { context } = result;
        child.setAttributes({
          "flowgate.policy": context.policyName,
          "flowgate.status": result.status,
        } satisfies Attributes);
        for (const rule of context.ruleSignature) child.addEvent("rule.before", ruleAttr(rule));
        for (const rule of context.finalizationSignature)
          child.addEvent("rule.after", ruleAttr(rule));
        for (const rule of context.fizzledRules) child.addEvent("rule.fizzled", ruleAttr(rule));
        return result;
      } catch (error) {
        child.recordException(error instanceof Error ? error : String(error));
        child.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        child.end();
      }
    },
    end(code, message) {
      span.setAttribute("rpc.grpc.status_code", code);
      if (code !== GRPC_OK) {
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
