/**
 * The context type of task-run orchestration: a task run and the task ports. One alias so
 * the task rules' hook signatures stay short.
 */
import type { TaskRun } from "../domain/index.ts";
import type { OrchestrationContext } from "./context.ts";
import type { TaskOrchestrationDeps } from "./ports.ts";

/** The context task rules and transforms receive. */
export type TaskContext = OrchestrationContext<TaskRun, TaskOrchestrationDeps>;
