/**
 * MinimalTaskPolicy (spec §3, §2.9): forced task transitions, run creation and the parent
 * task mirror of a subflow skip every guard, but a task that stops running still gives its
 * tag slots back.
 */
import type { TaskRun } from "../../domain/index.ts";
import { Policy } from "../policy.ts";
import type { TaskOrchestrationDeps } from "../ports.ts";
import { ReleaseTaskConcurrencySlots } from "../rules/release-task-concurrency-slots.ts";

/** The task-run policy of `force` and of run creation. */
export const MinimalTaskPolicy = new Policy<TaskRun, TaskOrchestrationDeps>("MinimalTaskPolicy", [
  ReleaseTaskConcurrencySlots,
]);
