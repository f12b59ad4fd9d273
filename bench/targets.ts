/**
 * What `npm run bench` measures: per workload (flow-run or task-run lifecycles), flowgate over
 * gRPC and the raw-SQL baseline, each able to pre-create runs and drive one transition.
 */
import { FlowgateLoad } from "./flowgate-load.ts";
import type { Transition } from "./lifecycle.ts";
import type { RawSqlBaseline } from "./raw-sql-baseline.ts";
import type { RssOf } from "./report.ts";
import type { ServerReport } from "./server.ts";
import type { ServerProcess } from "./server-process.ts";
import type { RssSampler } from "./stats.ts";
import { TASK_TAG, TaskLoad } from "./task-load.ts";

export type Workload = "flow" | "task";

/** The `bench` tag's limit: above any client count measured, so it never makes a task wait. */
export const TAG_LIMIT = 64;

export interface Target {
  readonly workload: Workload;
  readonly name: string;
  /** Runs created per run the warm-up rate predicts (spare runs are cheap for raw SQL). */
  readonly spare: number;
  createRuns(count: number): Promise<string[]>;
  readonly transition: Transition;
  mark(): Promise<void>;
  report(): Promise<{ peakRss: number; rssOf: RssOf; server: ServerReport | null }>;
}

/** Flow runs are created in one flow; task runs in one RUNNING flow run of it. */
export async function buildTargets(
  workloads: readonly Workload[],
  server: ServerProcess,
  raw: RawSqlBaseline,
  benchRss: RssSampler,
  transports: number,
): Promise<Target[]> {
  const address = `http://127.0.0.1:${server.port}`;
  const flowgate = new FlowgateLoad(address, transports);
  const flowId = await flowgate.createFlow();
  const fromServer = {
    name: "flowgate",
    spare: 2,
    mark: () => server.mark(),
    async report() {
      const report = await server.report();
      return { peakRss: report.peakRss, rssOf: "server" as const, server: report };
    },
  };
  const fromBench = {
    name: "raw-sql",
    spare: 4,
    async mark() {
      benchRss.take();
    },
    report: async () => ({ peakRss: benchRss.take(), rssOf: "bench" as const, server: null }),
  };
  const targets: Target[] = [];
  if (workloads.includes("flow")) {
    targets.push(
      {
        ...fromServer,
        workload: "flow",
        createRuns: (n) => flowgate.createRuns(flowId, n),
        transition: flowgate.transition,
      },
      {
        ...fromBench,
        workload: "flow",
        createRuns: (n) => raw.createRuns(flowId, n),
        transition: raw.transition,
      },
    );
  }
  if (workloads.includes("task")) {
    const [flowRunId] = await flowgate.createRuns(flowId, 1);
    for (const target of ["PENDING", "RUNNING"] as const)
      if (!(await flowgate.transition(flowRunId!, target, 0)))
        throw new Error(`the tasks' flow run was not accepted into ${target}`);
    const tasks = new TaskLoad(address, transports);
    await tasks.createTagLimit(TAG_LIMIT);
    targets.push(
      {
        ...fromServer,
        workload: "task",
        createRuns: (n) => tasks.createRuns(flowRunId!, n),
        transition: tasks.transition,
      },
      {
        ...fromBench,
        workload: "task",
        createRuns: (n) => raw.createTaskRuns(flowRunId!, TASK_TAG, n),
        transition: raw.taskTransition,
      },
    );
  }
  return targets;
}
