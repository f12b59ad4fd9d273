/** DeploymentService: thin handlers of validated requests: call the use case, map the result. */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  CollisionStrategy as CollisionStrategyProto,
  type ConcurrencyOptions as ConcurrencyOptionsProto,
  type DeploymentService,
} from "../../../../gen/flowgate/v1/deployment_pb.js";
import type {
  DeploymentFields,
  DeploymentRecord,
  DeploymentUseCases,
} from "../../../application/deployments.ts";
import { pageRequest } from "../../../application/paging.ts";
import type { CollisionStrategy, ConcurrencyOptions } from "../../../domain/index.ts";
import type { HandlersFor } from "../bridge.ts";
import { optionalUuid, uuid } from "../validate.ts";

export function deploymentServiceHandlers(
  deployments: DeploymentUseCases,
): HandlersFor<typeof DeploymentService> {
  return {
    async createDeployment(request) {
      const flowId = uuid(request.flowId);
      return { deployment: deploymentMessage(await deployments.create(flowId, fields(request))) };
    },
    async getDeployment(request) {
      return {
        deployment: deploymentMessage(await deployments.get(uuid(request.deploymentId))),
      };
    },
    async updateDeployment(request) {
      const id = uuid(request.deploymentId);
      return { deployment: deploymentMessage(await deployments.update(id, fields(request))) };
    },
    async deleteDeployment(request) {
      await deployments.delete(uuid(request.deploymentId));
      return {};
    },
    async listDeployments(request) {
      const flowId = optionalUuid(request.flowId);
      const page = await deployments.list(pageRequest(request.pageSize, request.pageToken), flowId);
      return {
        deployments: page.items.map(deploymentMessage),
        nextPageToken: page.nextPageToken,
      };
    },
  };
}

function fields(request: {
  name: string;
  concurrencyLimit?: number;
  concurrencyOptions?: ConcurrencyOptionsProto;
}): DeploymentFields {
  return {
    name: request.name,
    concurrencyLimit: request.concurrencyLimit ?? null,
    concurrencyOptions:
      request.concurrencyOptions === undefined ? null : options(request.concurrencyOptions),
  };
}

function options(message: ConcurrencyOptionsProto): ConcurrencyOptions {
  return {
    collisionStrategy: collisionStrategy(message.collisionStrategy),
    gracePeriodSeconds: message.gracePeriodSeconds ?? null,
  };
}

function collisionStrategy(value: CollisionStrategyProto): CollisionStrategy {
  // Unset means the documented default, ENQUEUE.
  return value === CollisionStrategyProto.CANCEL_NEW ? "CANCEL_NEW" : "ENQUEUE";
}

function deploymentMessage(deployment: DeploymentRecord) {
  const options = deployment.concurrencyOptions;
  return {
    id: deployment.id,
    flowId: deployment.flowId,
    name: deployment.name,
    concurrencyLimit: deployment.concurrencyLimit ?? undefined,
    concurrencyOptions:
      options === null
        ? undefined
        : {
            collisionStrategy:
              options.collisionStrategy === "CANCEL_NEW"
                ? CollisionStrategyProto.CANCEL_NEW
                : CollisionStrategyProto.ENQUEUE,
            gracePeriodSeconds: options.gracePeriodSeconds ?? undefined,
          },
    created: timestampFromDate(deployment.created),
    updated: timestampFromDate(deployment.updated),
  };
}
