/**
 * The task-run policies as the engine and the application select them (spec §2.2): the
 * {@link RunPolicies} record — GlobalTaskPolicy always, MinimalTaskPolicy when forced or
 * when no policy is requested, BackgroundTaskPolicy for every `deferred` proposal even when
 * forced — and the named policies a caller may request (CoreTaskPolicy by default; Prefect's
 * task endpoint always passes it).
 */
import type { TaskRun } from "../../domain/index.ts";
import type { Policy, RunPolicies } from "../policy.ts";
import type { TaskOrchestrationDeps } from "../ports.ts";
import { BackgroundTaskPolicy } from "./background-task.ts";
import { CoreTaskPolicy } from "./core-task.ts";
import { GlobalTaskPolicy } from "./global-task.ts";
import { MinimalTaskPolicy } from "./minimal-task.ts";

/** Task runs' registered policies. */
export const taskRunPolicies: RunPolicies<TaskRun, TaskOrchestrationDeps> = Object.freeze({
  global: GlobalTaskPolicy,
  minimal: MinimalTaskPolicy,
  deferred: BackgroundTaskPolicy,
});

/** The policy SetTaskRunState requests. */
export const defaultTaskPolicy: Policy<TaskRun, TaskOrchestrationDeps> = CoreTaskPolicy;

/** The task policies a caller may request, by their spec names. */
export const taskPoliciesByName: Readonly<Record<string, Policy<TaskRun, TaskOrchestrationDeps>>> =
  Object.freeze({
    [CoreTaskPolicy.name]: CoreTaskPolicy,
    [MinimalTaskPolicy.name]: MinimalTaskPolicy,
    [BackgroundTaskPolicy.name]: BackgroundTaskPolicy,
  });
