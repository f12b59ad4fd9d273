/** `flowgate limits list|show`: tag concurrency limits, their slots and who holds them. */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Command } from "commander";
import {
  type ConcurrencyLimit,
  ConcurrencyLimitSchema,
  ListConcurrencyLimitsResponseSchema,
} from "../../../gen/flowgate/v1/concurrency_limit_pb.js";
import type { TaskRun } from "../../../gen/flowgate/v1/task_run_pb.js";
import { type Act, limitOption } from "../command.ts";
import type { CliContext } from "../context.ts";
import { keyValues, stateLabel, table, time } from "../format.ts";
import { collectPages, printTruncation } from "./pages.ts";

export function limitCommands(program: Command, act: Act): void {
  const limits = program
    .command("limits")
    .description("tag concurrency limits: how many task runs with a tag may run at once");
  limits
    .command("list")
    .description("list tag limits with their slots in use")
    .addOption(limitOption())
    .action(act(listLimits));
  limits
    .command("show")
    .description("a tag limit and the task runs holding its slots")
    .argument("<tag>", "the tag")
    .action(act(showLimit));
}

async function listLimits(context: CliContext, options: { limit: number }) {
  const page = await collectPages(options.limit, async (pageSize, pageToken) => {
    const response = await context.client.concurrencyLimits.listConcurrencyLimits(
      { pageSize, pageToken },
      context.callOptions,
    );
    return { items: response.concurrencyLimits, nextPageToken: response.nextPageToken };
  });
  if (context.json) {
    context.printMessage(ListConcurrencyLimitsResponseSchema, {
      concurrencyLimits: [...page.items],
      nextPageToken: page.nextPageToken,
    });
    return undefined;
  }
  context.print(
    table(
      ["TAG", "SLOTS", "LIMIT", "CREATED"],
      page.items.map((limit) => [
        limit.tag,
        String(limit.activeSlots.length),
        String(limit.concurrencyLimit),
        time(limit.created),
      ]),
    ),
  );
  printTruncation(context, page);
  return undefined;
}

async function showLimit(context: CliContext, tag: string) {
  const { concurrencyLimit } = await context.client.concurrencyLimits.getConcurrencyLimit(
    { tag },
    context.callOptions,
  );
  if (concurrencyLimit === undefined) return undefined;
  if (context.json) {
    context.printMessage(ConcurrencyLimitSchema, concurrencyLimit);
    return undefined;
  }
  context.print(limitBlock(concurrencyLimit));
  const holders = await Promise.all(concurrencyLimit.activeSlots.map((id) => holder(context, id)));
  context.print(`\nHolders (${holders.length} of ${concurrencyLimit.concurrencyLimit} slots):`);
  if (holders.length > 0) {
    context.print(
      table(
        ["TASK RUN", "NAME", "STATE", "FLOW RUN"],
        holders.map(({ id, run }) =>
          run === undefined
            ? [id, "(deleted)", "-", "-"]
            : [id, run.name, stateLabel(run.stateType, run.stateName), run.flowRunId || "-"],
        ),
      ),
    );
  }
  return undefined;
}

function limitBlock(limit: ConcurrencyLimit): string {
  return keyValues([
    ["tag", limit.tag],
    ["id", limit.id],
    ["limit", String(limit.concurrencyLimit)],
    ["in use", String(limit.activeSlots.length)],
    ["created", time(limit.created)],
    ["updated", time(limit.updated)],
  ]);
}

/** The task run holding a slot; a holder that no longer exists is shown as deleted. */
async function holder(context: CliContext, id: string): Promise<{ id: string; run?: TaskRun }> {
  try {
    const { taskRun } = await context.client.taskRuns.getTaskRun(
      { taskRunId: id },
      context.callOptions,
    );
    return { id, run: taskRun };
  } catch (error) {
    if (error instanceof ConnectError && error.code === Code.NotFound) return { id };
    throw error;
  }
}
