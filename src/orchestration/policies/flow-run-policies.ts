/**
 * The flow-run policies as the engine and the application select them: the
 * {@link RunPolicies} record (global + minimal, for `orchestrateTransition`) and the named
 * policies a caller may request (CoreFlowPolicy by default, MarkLateRunsPolicy for the
 * late-runs service).
 */
import type { FlowRun } from "../../domain/index.ts";
import type { Policy, RunPolicies } from "../policy.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { CoreFlowPolicy } from "./core-flow.ts";
import { GlobalFlowPolicy } from "./global-flow.ts";
import { MarkLateRunsPolicy } from "./mark-late-runs.ts";
import { MinimalFlowPolicy } from "./minimal-flow.ts";

/** Flow runs' registered policies: GlobalFlowPolicy always, MinimalFlowPolicy when forced. */
export const flowRunPolicies: RunPolicies<FlowRun, FlowOrchestrationDeps> = Object.freeze({
  global: GlobalFlowPolicy,
  minimal: MinimalFlowPolicy,
});

/** The flow policies a caller may request, by their spec names. */
export const flowPoliciesByName: Readonly<Record<string, Policy<FlowRun, FlowOrchestrationDeps>>> =
  Object.freeze({
    [CoreFlowPolicy.name]: CoreFlowPolicy,
    [MinimalFlowPolicy.name]: MinimalFlowPolicy,
    [MarkLateRunsPolicy.name]: MarkLateRunsPolicy,
  });
