/** Drives flowgate over gRPC: creates runs with CreateFlowRun and moves them with SetFlowRunState. */
import { randomUUID } from "node:crypto";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { FlowService } from "../gen/flowgate/v1/flow_pb.js";
import { FlowRunService } from "../gen/flowgate/v1/flow_run_pb.js";
import { SetStateStatus } from "../gen/flowgate/v1/orchestration_pb.js";
import { StateType } from "../gen/flowgate/v1/states_pb.js";
import type { Target, Transition } from "./lifecycle.ts";

const TARGET_TYPES: Record<Target, StateType> = {
  PENDING: StateType.PENDING,
  RUNNING: StateType.RUNNING,
  COMPLETED: StateType.COMPLETED,
};

export class FlowgateLoad {
  /** One client per transport (one HTTP/2 connection each); bench clients share them round-robin. */
  readonly #clients: Client<typeof FlowRunService>[];
  readonly #flows: Client<typeof FlowService>;

  constructor(address: string, transports: number) {
    const all = Array.from({ length: transports }, () => createGrpcTransport({ baseUrl: address }));
    this.#clients = all.map((transport) => createClient(FlowRunService, transport));
    this.#flows = createClient(FlowService, all[0]!);
  }

  async createFlow(): Promise<string> {
    return (await this.#flows.createFlow({ name: `bench-${randomUUID()}` })).flow!.id;
  }

  /** `count` SCHEDULED runs of `flowId` whose scheduled time has passed, created `parallel` at a time. */
  async createRuns(flowId: string, count: number, parallel = 32): Promise<string[]> {
    const ids: string[] = [];
    let next = 0;
    const scheduledTime = timestampFromDate(new Date(Date.now() - 1000));
    const worker = async (w: number) => {
      const client = this.#clients[w % this.#clients.length]!;
      while (next < count) {
        next++;
        const { flowRun } = await client.createFlowRun({
          flowId,
          state: { type: StateType.SCHEDULED, stateDetails: { scheduledTime } },
        });
        ids.push(flowRun!.id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, (_, w) => worker(w)));
    return ids;
  }

  readonly transition: Transition = async (flowRunId, target, client) => {
    const { result } = await this.#clients[client % this.#clients.length]!.setFlowRunState({
      flowRunId,
      state: { type: TARGET_TYPES[target] },
    });
    return result?.status === SetStateStatus.ACCEPT;
  };
}
