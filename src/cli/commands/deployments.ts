/** `flowgate deployments list|show`. */
import type { Command } from "commander";
import {
  CollisionStrategy,
  type Deployment,
  DeploymentSchema,
  ListDeploymentsResponseSchema,
} from "../../../gen/flowgate/v1/deployment_pb.js";
import { type Act, limitOption } from "../command.ts";
import type { CliContext } from "../context.ts";
import { keyValues, table, time } from "../format.ts";
import { collectPages, printTruncation } from "./pages.ts";

export function deploymentCommands(program: Command, act: Act): void {
  const deployments = program
    .command("deployments")
    .description("deployments of flows, with their concurrency limits");
  deployments
    .command("list")
    .description("list deployments, oldest first")
    .option("--flow <id>", "only the deployments of this flow")
    .addOption(limitOption())
    .action(act(listDeployments));
  deployments
    .command("show")
    .description("show one deployment")
    .argument("<id>", "deployment id")
    .action(act(showDeployment));
}

async function listDeployments(context: CliContext, options: { flow?: string; limit: number }) {
  const page = await collectPages(options.limit, async (pageSize, pageToken) => {
    const response = await context.client.deployments.listDeployments(
      { pageSize, pageToken, flowId: options.flow ?? "" },
      context.callOptions,
    );
    return { items: response.deployments, nextPageToken: response.nextPageToken };
  });
  if (context.json) {
    context.printMessage(ListDeploymentsResponseSchema, {
      deployments: [...page.items],
      nextPageToken: page.nextPageToken,
    });
    return undefined;
  }
  context.print(
    table(
      ["ID", "NAME", "FLOW", "LIMIT", "ON COLLISION", "CREATED"],
      page.items.map((deployment) => [
        deployment.id,
        deployment.name,
        deployment.flowId,
        limitText(deployment),
        collisionText(deployment),
        time(deployment.created),
      ]),
    ),
  );
  printTruncation(context, page);
  return undefined;
}

async function showDeployment(context: CliContext, id: string) {
  const { deployment } = await context.client.deployments.getDeployment(
    { deploymentId: id },
    context.callOptions,
  );
  if (deployment === undefined) return undefined;
  if (context.json) {
    context.printMessage(DeploymentSchema, deployment);
    return undefined;
  }
  const grace = deployment.concurrencyOptions?.gracePeriodSeconds;
  context.print(
    keyValues([
      ["id", deployment.id],
      ["name", deployment.name],
      ["flow", deployment.flowId],
      ["limit", limitText(deployment)],
      ["on collision", collisionText(deployment)],
      ["grace period", grace === undefined ? "server default" : `${grace}s`],
      ["created", time(deployment.created)],
      ["updated", time(deployment.updated)],
    ]),
  );
  return undefined;
}

function limitText(deployment: Deployment): string {
  return deployment.concurrencyLimit === undefined ? "none" : String(deployment.concurrencyLimit);
}

/** What a run that finds the limit full does (unset means ENQUEUE). */
function collisionText(deployment: Deployment): string {
  return deployment.concurrencyOptions?.collisionStrategy === CollisionStrategy.CANCEL_NEW
    ? "cancel new"
    : "enqueue";
}
