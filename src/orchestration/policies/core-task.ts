/**
 * CoreTaskPolicy (spec §3): the rules of SetTaskRunState, in priority order. CacheRetrieval
 * comes before SecureTaskConcurrencySlots on purpose: a cached result is returned even when
 * the task's tag slots are full. (Prefect's ClientSideTaskOrchestrationPolicy, which only
 * leaves out SecureTaskConcurrencySlots and is unused, is dropped: preface "Drop".)
 *
 * flowgate adds PreventDuplicateTransitions first, which Prefect applies to flow runs only
 * (§8.2.2): the wire contract (api.md, "Idempotency and retries") requires that a replayed
 * SetTaskRunState with the current state's `transition_id` writes nothing.
 */
import type { TaskRun } from "../../domain/index.ts";
import { Policy } from "../policy.ts";
import type { TaskOrchestrationDeps } from "../ports.ts";
import { CacheInsertion } from "../rules/cache-insertion.ts";
import { CacheRetrieval } from "../rules/cache-retrieval.ts";
import { CopyScheduledTime } from "../rules/copy-scheduled-time.ts";
import { HandleTaskTerminalStateTransitions } from "../rules/handle-task-terminal-state-transitions.ts";
import { PreventDuplicateTransitions } from "../rules/prevent-duplicate-transitions.ts";
import { PreventRunningTasksFromStoppedFlows } from "../rules/prevent-running-tasks-from-stopped-flows.ts";
import { ReleaseTaskConcurrencySlots } from "../rules/release-task-concurrency-slots.ts";
import { RenameReruns } from "../rules/rename-reruns.ts";
import { RetryFailedTasks } from "../rules/retry-failed-tasks.ts";
import { SecureTaskConcurrencySlots } from "../rules/secure-task-concurrency-slots.ts";
import { UpdateFlowRunTrackerOnTasks } from "../rules/update-flow-run-tracker-on-tasks.ts";
import { WaitForScheduledTime } from "../rules/wait-for-scheduled-time.ts";

/** The default task-run policy. */
export const CoreTaskPolicy = new Policy<TaskRun, TaskOrchestrationDeps>("CoreTaskPolicy", [
  PreventDuplicateTransitions,
  CacheRetrieval,
  HandleTaskTerminalStateTransitions,
  PreventRunningTasksFromStoppedFlows,
  SecureTaskConcurrencySlots,
  CopyScheduledTime,
  WaitForScheduledTime,
  RetryFailedTasks,
  RenameReruns,
  UpdateFlowRunTrackerOnTasks,
  CacheInsertion,
  ReleaseTaskConcurrencySlots,
]);
