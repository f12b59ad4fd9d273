/** `flowgate flows list|get`. */
import type { Command } from "commander";
import {
  type Flow,
  FlowSchema,
  ListFlowsResponseSchema,
} from "../../../gen/flowgate/v1/flow_pb.js";
import { type Act, limitOption } from "../command.ts";
import type { CliContext } from "../context.ts";
import { keyValues, list, table, time } from "../format.ts";
import { collectPages, printTruncation } from "./pages.ts";

export function flowCommands(program: Command, act: Act): void {
  const flows = program
    .command("flows")
    .description("the named workflows whose runs flowgate orchestrates");
  flows
    .command("list")
    .description("list flows, oldest first")
    .addOption(limitOption())
    .action(act(listFlows));
  flows
    .command("get")
    .description("show one flow")
    .argument("<id>", "flow id")
    .action(act(getFlow));
}

async function listFlows(context: CliContext, options: { limit: number }) {
  const page = await collectPages(options.limit, async (pageSize, pageToken) => {
    const response = await context.client.flows.listFlows(
      { pageSize, pageToken },
      context.callOptions,
    );
    return { items: response.flows, nextPageToken: response.nextPageToken };
  });
  if (context.json) {
    context.printMessage(ListFlowsResponseSchema, {
      flows: [...page.items],
      nextPageToken: page.nextPageToken,
    });
    return undefined;
  }
  context.print(
    table(
      ["ID", "NAME", "TAGS", "CREATED"],
      page.items.map((flow) => [flow.id, flow.name, list(flow.tags), time(flow.created)]),
    ),
  );
  printTruncation(context, page);
  return undefined;
}

async function getFlow(context: CliContext, id: string) {
  const { flow } = await context.client.flows.getFlow({ flowId: id }, context.callOptions);
  if (flow === undefined) return undefined;
  if (context.json) context.printMessage(FlowSchema, flow);
  else context.print(flowBlock(flow));
  return undefined;
}

function flowBlock(flow: Flow): string {
  return keyValues([
    ["id", flow.id],
    ["name", flow.name],
    ["tags", list(flow.tags)],
    ["created", time(flow.created)],
    ["updated", time(flow.updated)],
  ]);
}
