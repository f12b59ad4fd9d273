/**
 * BackgroundTaskPolicy (spec §3): every task transition whose proposed state is `deferred`,
 * even a forced one. Background ("autonomous") tasks are claimed by task workers, so a
 * second claim is refused (PreventPendingTransitions) and their parameters id follows them
 * (CopyTaskParametersID); they have no flow run to be stopped by and no tag slots.
 * PreventDuplicateTransitions comes first, as in CoreTaskPolicy (flowgate's addition for
 * the wire contract's idempotent replays).
 */
import type { TaskRun } from "../../domain/index.ts";
import { Policy } from "../policy.ts";
import type { TaskOrchestrationDeps } from "../ports.ts";
import { CacheInsertion } from "../rules/cache-insertion.ts";
import { CacheRetrieval } from "../rules/cache-retrieval.ts";
import { CopyScheduledTime } from "../rules/copy-scheduled-time.ts";
import { CopyTaskParametersID } from "../rules/copy-task-parameters-id.ts";
import { EnqueueScheduledTasks } from "../rules/enqueue-scheduled-tasks.ts";
import { HandleTaskTerminalStateTransitions } from "../rules/handle-task-terminal-state-transitions.ts";
import { PreventDuplicateTransitions } from "../rules/prevent-duplicate-transitions.ts";
import { PreventPendingTransitions } from "../rules/prevent-pending-transitions.ts";
import { ReleaseTaskConcurrencySlots } from "../rules/release-task-concurrency-slots.ts";
import { RenameReruns } from "../rules/rename-reruns.ts";
import { RetryFailedTasks } from "../rules/retry-failed-tasks.ts";
import { UpdateFlowRunTrackerOnTasks } from "../rules/update-flow-run-tracker-on-tasks.ts";
import { WaitForScheduledTime } from "../rules/wait-for-scheduled-time.ts";

/** The policy of deferred (background) task transitions. */
export const BackgroundTaskPolicy = new Policy<TaskRun, TaskOrchestrationDeps>(
  "BackgroundTaskPolicy",
  [
    PreventDuplicateTransitions,
    PreventPendingTransitions,
    CacheRetrieval,
    HandleTaskTerminalStateTransitions,
    CopyScheduledTime,
    CopyTaskParametersID,
    WaitForScheduledTime,
    RetryFailedTasks,
    RenameReruns,
    UpdateFlowRunTrackerOnTasks,
    CacheInsertion,
    ReleaseTaskConcurrencySlots,
    EnqueueScheduledTasks,
  ],
);
