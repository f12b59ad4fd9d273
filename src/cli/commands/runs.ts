/** `flowgate runs list|show|watch|set-state`: flow runs. */
import { toJson } from "@bufbuild/protobuf";
import type { Command } from "commander";
import {
  type FlowRun,
  FlowRunSchema,
  ListFlowRunsResponseSchema,
  SetFlowRunStateResponseSchema,
} from "../../../gen/flowgate/v1/flow_run_pb.js";
import type { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { type Act, limitOption, stateOption } from "../command.ts";
import type { CliContext } from "../context.ts";
import { duration, keyValues, list, parseStateType, stateLabel, table, time } from "../format.ts";
import { printRunWithHistory, printWatch } from "./history.ts";
import { exitCodeOf, explainResult } from "./outcome.ts";
import { collectPages, printTruncation } from "./pages.ts";

export function runCommands(program: Command, act: Act): void {
  const runs = program
    .command("runs")
    .description("flow runs: list, inspect, watch and steer them");
  runs
    .command("list")
    .description("list flow runs, oldest first")
    .option("--flow <id>", "only the runs of this flow")
    .option("--deployment <id>", "only the runs of this deployment")
    .addOption(stateOption())
    .option("--tag <tag...>", "only runs carrying all of these tags")
    .addOption(limitOption())
    .action(act(listRuns));
  runs
    .command("show")
    .description("a flow run, and its state history with the decision behind each state")
    .argument("<id>", "flow run id")
    .action(act(showRun));
  runs
    .command("watch")
    .description("print the run's state, then every transition as it commits")
    .argument("<id>", "flow run id")
    .option("--follow", "keep watching after a final state (COMPLETED, FAILED, CANCELLED, CRASHED)")
    .action(act(watchRun));
  runs
    .command("set-state")
    .description("propose a state; exits with the outcome (see flowgate --help)")
    .argument("<id>", "flow run id")
    .argument(
      "<type>",
      "SCHEDULED, PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, CRASHED, PAUSED or CANCELLING",
    )
    .option("--name <name>", "the state's name (default: the type's, e.g. Running)")
    .option("--message <text>", "the state's message")
    .option("--force", "skip the core rules: the minimal policy decides")
    .option("--dry-run", "run the policy, write nothing, and explain what would happen and why")
    .action(act(setState));
}

interface ListOptions {
  readonly flow?: string;
  readonly deployment?: string;
  readonly state?: StateType[];
  readonly tag?: string[];
  readonly limit: number;
}

async function listRuns(context: CliContext, options: ListOptions) {
  const page = await collectPages(options.limit, async (pageSize, pageToken) => {
    const response = await context.client.flowRuns.listFlowRuns(
      {
        pageSize,
        pageToken,
        flowId: options.flow ?? "",
        deploymentId: options.deployment ?? "",
        stateTypes: options.state ?? [],
        tags: options.tag ?? [],
      },
      context.callOptions,
    );
    return { items: response.flowRuns, nextPageToken: response.nextPageToken };
  });
  if (context.json) {
    context.printMessage(ListFlowRunsResponseSchema, {
      flowRuns: [...page.items],
      nextPageToken: page.nextPageToken,
    });
    return undefined;
  }
  context.print(
    table(
      ["ID", "NAME", "STATE", "RUNS", "STARTED", "CREATED"],
      page.items.map((run) => [
        run.id,
        run.name,
        stateLabel(run.stateType, run.stateName),
        String(run.runCount),
        time(run.startTime),
        time(run.created),
      ]),
    ),
  );
  printTruncation(context, page);
  return undefined;
}

async function showRun(context: CliContext, id: string) {
  const { flowRuns, flows } = context.client;
  const [{ flowRun }, { states }] = await Promise.all([
    flowRuns.getFlowRun({ flowRunId: id }, context.callOptions),
    flowRuns.listFlowRunStates({ flowRunId: id }, context.callOptions),
  ]);
  if (flowRun === undefined) return undefined;
  await printRunWithHistory(
    context,
    {
      key: "flowRun",
      json: toJson(FlowRunSchema, flowRun),
      async block() {
        const { flow } = await flows.getFlow({ flowId: flowRun.flowId }, context.callOptions);
        return runBlock(flowRun, flow?.name ?? "");
      },
    },
    states,
  );
  return undefined;
}

function runBlock(run: FlowRun, flowName: string): string {
  return keyValues([
    ["flow run", `${run.id}  ${run.name}`],
    ["flow", `${run.flowId}  ${flowName}`],
    ["deployment", run.deploymentId],
    ["state", `${stateLabel(run.stateType, run.stateName)} since ${time(run.state?.timestamp)}`],
    ["run count", String(run.runCount)],
    ["expected", time(run.expectedStartTime)],
    ["started", time(run.startTime)],
    ["ended", time(run.endTime)],
    ["run time", duration(run.totalRunTime)],
    ["tags", list(run.tags)],
    ["parameters", run.parameters === undefined ? "" : JSON.stringify(run.parameters)],
    ["created", time(run.created)],
  ]);
}

async function watchRun(context: CliContext, id: string, options: { follow?: boolean }) {
  const stream = context.client.flowRuns.watchFlowRun({ flowRunId: id });
  return printWatch(context, stream, options.follow ?? false);
}

interface SetStateOptions {
  readonly name?: string;
  readonly message?: string;
  readonly force?: boolean;
  readonly dryRun?: boolean;
}

async function setState(context: CliContext, id: string, type: string, options: SetStateOptions) {
  const { result } = await context.client.flowRuns.setFlowRunState(
    {
      flowRunId: id,
      state: { type: parseStateType(type), name: options.name, message: options.message },
      force: options.force ?? false,
      dryRun: options.dryRun ?? false,
    },
    context.callOptions,
  );
  if (result === undefined) throw new Error("the server answered without a result");
  if (context.json) context.printMessage(SetFlowRunStateResponseSchema, { result });
  else context.print(explainResult(result, options.dryRun ?? false));
  return exitCodeOf(result.status);
}
