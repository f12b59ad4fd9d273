/**
 * One place that records an orchestration: an "orchestration" span (a child of the RPC's span,
 * or a root span for a background proposal) and, unless it was a dry run or no policy ran,
 * `flowgate_orchestrations_total` and `flowgate_rule_firings_total`. SetFlowRunState,
 * SetTaskRunState, ResumeFlowRun and the background services all go through it.
 */
import type {
  ObservedOrchestration,
  OrchestrationObserver,
  OrchestrationSubject,
} from "../application/orchestration-observer.ts";
import type { Metrics } from "./metrics.ts";
import type { RpcSpan, Tracing } from "./tracing.ts";

export class OrchestrationTelemetry implements OrchestrationObserver {
  readonly #metrics: Metrics | undefined;
  readonly #tracing: Tracing;

  constructor(metrics: Metrics | undefined, tracing: Tracing) {
    this.#metrics = metrics;
    this.#tracing = tracing;
  }

  /** Records `orchestrate`; its span is a child of `call` when given, else a root span. */
  async observe<T extends ObservedOrchestration>(
    subject: OrchestrationSubject,
    orchestrate: () => Promise<T>,
    call?: RpcSpan,
  ): Promise<T> {
    const result = await (call === undefined
      ? this.#tracing.orchestration(subject, orchestrate)
      : call.orchestration(subject, orchestrate));
    if (!subject.dryRun && result.context !== null) {
      const { policyName, ruleSignature } = result.context;
      this.#metrics?.orchestration(subject.runKind, policyName, result.status, ruleSignature);
    }
    return result;
  }
}
