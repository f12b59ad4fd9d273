/** `flowgate tasks list|show|watch`: task runs. */
import { toJson } from "@bufbuild/protobuf";
import type { Command } from "commander";
import type { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import {
  ListTaskRunsResponseSchema,
  type TaskRun,
  TaskRunSchema,
} from "../../../gen/flowgate/v1/task_run_pb.js";
import { type Act, limitOption, stateOption } from "../command.ts";
import type { CliContext } from "../context.ts";
import { duration, keyValues, list, stateLabel, table, time } from "../format.ts";
import { printRunWithHistory, printWatch } from "./history.ts";
import { collectPages, printTruncation } from "./pages.ts";

export function taskCommands(program: Command, act: Act): void {
  const tasks = program.command("tasks").description("task runs: list, inspect and watch them");
  tasks
    .command("list")
    .description("list task runs, oldest first")
    .option("--flow-run <id>", "only the task runs of this flow run")
    .addOption(stateOption())
    .option("--tag <tag...>", "only task runs carrying all of these tags")
    .addOption(limitOption())
    .action(act(listTasks));
  tasks
    .command("show")
    .description("a task run, and its state history with the decision behind each state")
    .argument("<id>", "task run id")
    .action(act(showTask));
  tasks
    .command("watch")
    .description("print the task run's state, then every transition as it commits")
    .argument("<id>", "task run id")
    .option("--follow", "keep watching after a final state (COMPLETED, FAILED, CANCELLED, CRASHED)")
    .action(act(watchTask));
}

interface ListOptions {
  readonly flowRun?: string;
  readonly state?: StateType[];
  readonly tag?: string[];
  readonly limit: number;
}

async function listTasks(context: CliContext, options: ListOptions) {
  const page = await collectPages(options.limit, async (pageSize, pageToken) => {
    const response = await context.client.taskRuns.listTaskRuns(
      {
        pageSize,
        pageToken,
        flowRunId: options.flowRun ?? "",
        stateTypes: options.state ?? [],
        tags: options.tag ?? [],
      },
      context.callOptions,
    );
    return { items: response.taskRuns, nextPageToken: response.nextPageToken };
  });
  if (context.json) {
    context.printMessage(ListTaskRunsResponseSchema, {
      taskRuns: [...page.items],
      nextPageToken: page.nextPageToken,
    });
    return undefined;
  }
  context.print(
    table(
      ["ID", "NAME", "TASK KEY", "STATE", "RUNS", "CREATED"],
      page.items.map((task) => [
        task.id,
        task.name,
        task.taskKey,
        stateLabel(task.stateType, task.stateName),
        String(task.runCount),
        time(task.created),
      ]),
    ),
  );
  printTruncation(context, page);
  return undefined;
}

async function showTask(context: CliContext, id: string) {
  const { taskRuns } = context.client;
  const [{ taskRun }, { states }] = await Promise.all([
    taskRuns.getTaskRun({ taskRunId: id }, context.callOptions),
    taskRuns.listTaskRunStates({ taskRunId: id }, context.callOptions),
  ]);
  if (taskRun === undefined) return undefined;
  await printRunWithHistory(
    context,
    { key: "taskRun", json: toJson(TaskRunSchema, taskRun), block: async () => taskBlock(taskRun) },
    states,
  );
  return undefined;
}

function taskBlock(task: TaskRun): string {
  return keyValues([
    ["task run", `${task.id}  ${task.name}`],
    ["flow run", task.flowRunId || "(autonomous)"],
    ["task key", `${task.taskKey}${task.dynamicKey === "" ? "" : ` [${task.dynamicKey}]`}`],
    ["state", `${stateLabel(task.stateType, task.stateName)} since ${time(task.state?.timestamp)}`],
    ["run count", String(task.runCount)],
    ["started", time(task.startTime)],
    ["ended", time(task.endTime)],
    ["run time", duration(task.totalRunTime)],
    ["tags", list(task.tags)],
    ["cache key", task.cacheKey],
    ["created", time(task.created)],
  ]);
}

async function watchTask(context: CliContext, id: string, options: { follow?: boolean }) {
  const stream = context.client.taskRuns.watchTaskRun({ taskRunId: id });
  return printWatch(context, stream, options.follow ?? false);
}
