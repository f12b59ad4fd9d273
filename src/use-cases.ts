/**
 * Builds the use cases over the PostgreSQL stores: the half of the composition root that
 * knows which repository implements which port.
 */
import type { MikroORM } from "@mikro-orm/postgresql";
import { DeploymentUseCases } from "./application/deployments.ts";
import type { RunEventNotifications } from "./application/flow-run-store.ts";
import { FlowRunUseCases } from "./application/flow-runs.ts";
import { FlowUseCases } from "./application/flows.ts";
import { LeaseUseCases } from "./application/leases.ts";
import { ResumeFlowRun } from "./application/resume-flow-run.ts";
import { systemClock, uuidv7Ids } from "./application/system.ts";
import { TagLimitUseCases } from "./application/tag-limits.ts";
import { TaskRunUseCases } from "./application/task-runs.ts";
import { RunWatcher } from "./application/watch-run.ts";
import type { OrchestrationSettings } from "./orchestration/index.ts";
import { MikroDeploymentRepository } from "./persistence/deployment-repository.ts";
import { MikroFlowRepository } from "./persistence/flow-repository.ts";
import { PgFlowRunStore } from "./persistence/flow-run-store.ts";
import {
  type BatchingOptions,
  DEFAULT_BATCHING,
  TransitionBatcher,
} from "./persistence/orchestration/batcher.ts";
import { MikroTagLimitRepository } from "./persistence/tag-limit-repository.ts";
import { PgTaskRunStore } from "./persistence/task-run-store.ts";
import type { UseCases } from "./transport/services.ts";

export function createUseCases(
  orm: MikroORM,
  notifications: RunEventNotifications,
  settings: OrchestrationSettings,
  batching: BatchingOptions = DEFAULT_BATCHING,
): UseCases {
  const clock = systemClock;
  const ids = uuidv7Ids;
  // One batcher for both run kinds: batches in flight are counted together.
  const batcher = new TransitionBatcher(orm, batching);
  const storeOptions = { clock, ids, settings, random: Math.random, batcher };
  const flowRunStore = new PgFlowRunStore(orm, storeOptions);
  const taskRunStore = new PgTaskRunStore(orm, storeOptions);
  const flowRuns = new FlowRunUseCases(flowRunStore, clock, ids);
  return {
    clock,
    flows: new FlowUseCases(() => new MikroFlowRepository(orm.em.fork())),
    deployments: new DeploymentUseCases(() => new MikroDeploymentRepository(orm.em.fork())),
    flowRuns,
    resumeFlowRun: new ResumeFlowRun(flowRunStore, flowRuns),
    flowRunWatcher: new RunWatcher(flowRunStore, notifications, "flow_run"),
    leases: new LeaseUseCases(flowRunStore, taskRunStore, clock),
    tagLimits: new TagLimitUseCases(
      () => new MikroTagLimitRepository(orm.em.fork(), clock, ids, settings.tagSlotLeaseSeconds),
    ),
    taskRuns: new TaskRunUseCases(taskRunStore, clock, ids),
    taskRunWatcher: new RunWatcher(taskRunStore, notifications, "task_run"),
  };
}
