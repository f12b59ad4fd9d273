/**
 * Telemetry for orchestrations (a span and a count per proposal), as the use-case callers see
 * it. RPC handlers record their orchestrations under the call's span; the background services'
 * proposals have no call, so they reach the same telemetry through {@link observedFlowRuns} /
 * {@link observedTaskRuns}. Transport implements the observer (metrics and tracing live there).
 */
import type {
  FlowOrchestrationResult,
  FlowRunUseCases,
  SetFlowRunStateCommand,
} from "./flow-runs.ts";
import type {
  SetTaskRunStateCommand,
  TaskOrchestrationResult,
  TaskRunUseCases,
} from "./task-runs.ts";

/** Which proposal an orchestration is about. */
export interface OrchestrationSubject {
  readonly runKind: "flow_run" | "task_run";
  readonly runId: string;
  readonly dryRun: boolean;
  /** Who proposed when no RPC did (a background service). */
  readonly origin?: string;
}

/** What an orchestration returns that telemetry reports. `context` is null when no policy ran. */
export interface ObservedOrchestration {
  readonly status: string;
  readonly context: {
    readonly policyName: string;
    readonly ruleSignature: readonly string[];
    readonly finalizationSignature: readonly string[];
    readonly fizzledRules: readonly string[];
  } | null;
}

/** Records one orchestration around `orchestrate` and returns its result unchanged. */
export interface OrchestrationObserver {
  observe<T extends ObservedOrchestration>(
    subject: OrchestrationSubject,
    orchestrate: () => Promise<T>,
  ): Promise<T>;
}

/** What proposing a flow-run state takes: the use case, or an observed one. */
export type FlowRunProposer = Pick<FlowRunUseCases, "setState">;
/** What proposing a task-run state takes. */
export type TaskRunProposer = Pick<TaskRunUseCases, "setState">;

/** `flowRuns` whose every proposal is recorded by `observer` as coming from `origin`. */
export function observedFlowRuns(
  flowRuns: FlowRunProposer,
  observer: OrchestrationObserver,
  origin: string,
): FlowRunProposer {
  return {
    setState: (command: SetFlowRunStateCommand): Promise<FlowOrchestrationResult> =>
      observer.observe(
        { runKind: "flow_run", runId: command.flowRunId, dryRun: command.dryRun ?? false, origin },
        () => flowRuns.setState(command),
      ),
  };
}

/** `taskRuns` whose every proposal is recorded by `observer` as coming from `origin`. */
export function observedTaskRuns(
  taskRuns: TaskRunProposer,
  observer: OrchestrationObserver,
  origin: string,
): TaskRunProposer {
  return {
    setState: (command: SetTaskRunStateCommand): Promise<TaskOrchestrationResult> =>
      observer.observe(
        { runKind: "task_run", runId: command.taskRunId, dryRun: command.dryRun ?? false, origin },
        () => taskRuns.setState(command),
      ),
  };
}
