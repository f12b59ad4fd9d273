/**
 * MarkLateRunsPolicy (spec §3, §5.5): used only by the late-runs service when it proposes
 * `Late` for runs still SCHEDULED after their time.
 */
import type { FlowRun } from "../../domain/index.ts";
import { Policy } from "../policy.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { EnforceDeploymentConcurrencyOnLate } from "../rules/enforce-deployment-concurrency-on-late.ts";
import { EnsureOnlyScheduledFlowsMarkedLate } from "../rules/ensure-only-scheduled-flows-marked-late.ts";
import { InstrumentFlowRunStateTransitions } from "../rules/instrument-flow-run-state-transitions.ts";

/** The policy of the late-runs service. */
export const MarkLateRunsPolicy = new Policy<FlowRun, FlowOrchestrationDeps>("MarkLateRunsPolicy", [
  EnsureOnlyScheduledFlowsMarkedLate,
  EnforceDeploymentConcurrencyOnLate,
  InstrumentFlowRunStateTransitions,
]);
