/**
 * Task runs on a service bench: the real task-run use cases, tag limits and lease renewal
 * on the bench's database and fake clock, so service tests can put task runs (and their tag
 * slots) in any state before a tick.
 */
import { LeaseUseCases } from "../../../src/application/leases.ts";
import { uuidv7Ids } from "../../../src/application/system.ts";
import { TagLimitUseCases } from "../../../src/application/tag-limits.ts";
import { TaskRunUseCases } from "../../../src/application/task-runs.ts";
import type { StateInit } from "../../../src/domain/index.ts";
import { defaultOrchestrationSettings } from "../../../src/orchestration/index.ts";
import { PgFlowRunStore } from "../../../src/persistence/flow-run-store.ts";
import { MikroTagLimitRepository } from "../../../src/persistence/tag-limit-repository.ts";
import { PgTaskRunStore } from "../../../src/persistence/task-run-store.ts";
import type { Bench } from "./support.ts";

/** The default tag-slot TTL (spec: flowgate's own `tagSlotLeaseSeconds`). */
export const TAG_SLOT_TTL = defaultOrchestrationSettings().tagSlotLeaseSeconds;

export interface TaskBench {
  readonly taskRuns: TaskRunUseCases;
  readonly tagLimits: TagLimitUseCases;
  readonly leases: LeaseUseCases;
  /** A task run of `flowRunId` created in `initial` (forced, as creation is). */
  newTask(flowRunId: string, initial: StateInit, tags?: readonly string[]): Promise<string>;
  /** Proposes `state` through CoreTaskPolicy (not forced), one clock second later. */
  propose(taskRunId: string, state: StateInit): ReturnType<TaskRunUseCases["setState"]>;
  /** The task run's current state columns and the current state's message. */
  task(taskRunId: string): Promise<{
    state_type: string;
    state_name: string;
    state_id: string;
    message: string | null;
  }>;
}

export function taskBench(bench: Bench): TaskBench {
  const { orm } = bench.database;
  const options = {
    clock: bench.clock,
    ids: uuidv7Ids,
    settings: defaultOrchestrationSettings(),
    random: Math.random,
  };
  const taskRunStore = new PgTaskRunStore(orm, options);
  const taskRuns = new TaskRunUseCases(taskRunStore, bench.clock, uuidv7Ids);
  return {
    taskRuns,
    tagLimits: new TagLimitUseCases(
      () => new MikroTagLimitRepository(orm.em.fork(), bench.clock, uuidv7Ids, TAG_SLOT_TTL),
    ),
    leases: new LeaseUseCases(new PgFlowRunStore(orm, options), taskRunStore, bench.clock),
    async newTask(flowRunId, initial, tags = []) {
      const { record } = await taskRuns.create(
        {
          flowRunId,
          taskKey: "task",
          dynamicKey: uuidv7Ids.newId(),
          name: "task",
          tags,
          cacheKey: null,
          cacheExpiration: null,
          empiricalPolicy: { retries: null, retryDelay: null, retryJitterFactor: null },
        },
        initial,
      );
      return record.run.id;
    },
    propose(taskRunId, state) {
      bench.clock.advance(1);
      return taskRuns.setState({ taskRunId, state, force: false });
    },
    async task(taskRunId) {
      const [row] = await bench.db.query<{
        state_type: string;
        state_name: string;
        state_id: string;
        message: string | null;
      }>(
        `select t.state_type, t.state_name, t.state_id, s.message
         from task_run t left join task_run_state s on s.id = t.state_id where t.id = $1`,
        [taskRunId],
      );
      if (row === undefined) throw new Error(`no task run ${taskRunId}`);
      return row;
    },
  };
}
