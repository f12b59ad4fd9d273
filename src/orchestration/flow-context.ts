/**
 * The context type of flow-run orchestration: a flow run and the flow ports. One alias so
 * the flow rules' hook signatures stay short.
 */
import type { FlowRun } from "../domain/index.ts";
import type { OrchestrationContext } from "./context.ts";
import type { FlowOrchestrationDeps } from "./ports.ts";

/** The context flow rules and transforms receive. */
export type FlowContext = OrchestrationContext<FlowRun, FlowOrchestrationDeps>;
