/** FlowService: thin handlers of validated requests: call the use case, map the result. */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { FlowService } from "../../../../gen/flowgate/v1/flow_pb.js";
import type { Flow, FlowUseCases } from "../../../application/flows.ts";
import { pageRequest } from "../../../application/paging.ts";
import type { HandlersFor } from "../bridge.ts";
import { uuid } from "../validate.ts";

export function flowServiceHandlers(flows: FlowUseCases): HandlersFor<typeof FlowService> {
  return {
    async createFlow(request) {
      const { flow, created } = await flows.create(request.name, [...new Set(request.tags)]);
      return { flow: flowMessage(flow), created };
    },
    async getFlow(request) {
      return { flow: flowMessage(await flows.get(uuid(request.flowId))) };
    },
    async listFlows(request) {
      const page = await flows.list(pageRequest(request.pageSize, request.pageToken));
      return { flows: page.items.map(flowMessage), nextPageToken: page.nextPageToken };
    },
    async deleteFlow(request) {
      await flows.delete(uuid(request.flowId));
      return {};
    },
  };
}

function flowMessage(flow: Flow) {
  return {
    id: flow.id,
    name: flow.name,
    tags: [...flow.tags],
    created: timestampFromDate(flow.created),
    updated: timestampFromDate(flow.updated),
  };
}
