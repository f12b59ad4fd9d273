/**
 * CreateFlowRunPolicy: the policy of a new run's initial state. The spec applies
 * MinimalFlowPolicy there (§2.9, "run creation"); this is MinimalFlowPolicy plus
 * SecureFlowConcurrencySlotsStrictly, which applies only with the `strictDeploymentLimits`
 * setting, so without it creation behaves exactly as Prefect's. With it, a run created
 * already PENDING or RUNNING under a deployment limit takes a slot or is turned away like
 * any other way in. Forced transitions keep MinimalFlowPolicy: `force` is an operator's
 * override.
 */
import type { FlowRun } from "../../domain/index.ts";
import { Policy } from "../policy.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { BypassCancellingFlowRunsWithNoInfra } from "../rules/bypass-cancelling-flow-runs-with-no-infra.ts";
import { InstrumentFlowRunStateTransitions } from "../rules/instrument-flow-run-state-transitions.ts";
import { PreventResultDataLoss } from "../rules/prevent-result-data-loss.ts";
import { ReleaseFlowConcurrencySlots } from "../rules/release-flow-concurrency-slots.ts";
import { SecureFlowConcurrencySlotsStrictly } from "../rules/secure-flow-concurrency-slots-strictly.ts";

/** The flow-run policy of CreateFlowRun's initial state. */
export const CreateFlowRunPolicy = new Policy<FlowRun, FlowOrchestrationDeps>(
  "CreateFlowRunPolicy",
  [
    PreventResultDataLoss,
    BypassCancellingFlowRunsWithNoInfra,
    SecureFlowConcurrencySlotsStrictly,
    InstrumentFlowRunStateTransitions,
    ReleaseFlowConcurrencySlots,
  ],
);
