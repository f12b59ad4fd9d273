/**
 * Drives task runs over gRPC: creates them in a RUNNING flow run with CreateTaskRun (SCHEDULED,
 * due) and moves them with SetTaskRunState. Every task carries the tag `bench`, whose tag
 * limit is generous enough to be exercised (a slot taken at RUNNING, released at COMPLETED)
 * without being the bottleneck; RUNNING and COMPLETED name a cache key unique to the task, as
 * Prefect's engine does, so CacheRetrieval looks it up (and misses) and CacheInsertion inserts.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ConcurrencyLimitService } from "../gen/flowgate/v1/concurrency_limit_pb.js";
import { SetStateStatus } from "../gen/flowgate/v1/orchestration_pb.js";
import { StateType } from "../gen/flowgate/v1/states_pb.js";
import { TaskRunService } from "../gen/flowgate/v1/task_run_pb.js";
import type { Target, Transition } from "./lifecycle.ts";

export const TASK_TAG = "bench";

const TARGET_TYPES: Record<Target, StateType> = {
  PENDING: StateType.PENDING,
  RUNNING: StateType.RUNNING,
  COMPLETED: StateType.COMPLETED,
};

/** The cache key a task's RUNNING and COMPLETED proposals carry: unique, so never a hit. */
export function cacheKeyOf(taskRunId: string): string {
  return `bench-${taskRunId}`;
}

export class TaskLoad {
  /** One client per transport (one HTTP/2 connection each); bench clients share them round-robin. */
  readonly #clients: Client<typeof TaskRunService>[];
  readonly #limits: Client<typeof ConcurrencyLimitService>;
  #created = 0;

  constructor(address: string, transports: number) {
    const all = Array.from({ length: transports }, () => createGrpcTransport({ baseUrl: address }));
    this.#clients = all.map((transport) => createClient(TaskRunService, transport));
    this.#limits = createClient(ConcurrencyLimitService, all[0]!);
  }

  async createTagLimit(limit: number): Promise<void> {
    await this.#limits.createConcurrencyLimit({ tag: TASK_TAG, concurrencyLimit: limit });
  }

  /** `count` due SCHEDULED task runs of `flowRunId`, created `parallel` at a time. */
  async createRuns(flowRunId: string, count: number, parallel = 32): Promise<string[]> {
    const ids: string[] = [];
    let next = 0;
    const scheduledTime = timestampFromDate(new Date(Date.now() - 1000));
    const worker = async (w: number) => {
      const client = this.#clients[w % this.#clients.length]!;
      while (next < count) {
        next++;
        const { taskRun } = await client.createTaskRun({
          flowRunId,
          taskKey: "bench-task",
          dynamicKey: String(this.#created++),
          tags: [TASK_TAG],
          state: { type: StateType.SCHEDULED, stateDetails: { scheduledTime } },
        });
        ids.push(taskRun!.id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, (_, w) => worker(w)));
    return ids;
  }

  readonly transition: Transition = async (taskRunId, target, client) => {
    const cacheKey = target === "PENDING" ? "" : cacheKeyOf(taskRunId);
    const { result } = await this.#clients[client % this.#clients.length]!.setTaskRunState({
      taskRunId,
      state: { type: TARGET_TYPES[target], stateDetails: { cacheKey } },
    });
    return result?.status === SetStateStatus.ACCEPT;
  };
}
