/**
 * Regression tests for the bad inputs measured in issue 9 §3: each is now INVALID_ARGUMENT
 * naming the field, with a short message, and the server (its own process, with the heap
 * `npm start` gives it) keeps serving. Before, these crashed the process, were INTERNAL or
 * UNAVAILABLE, or were accepted.
 */
import { create } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CollisionStrategy, DeploymentService } from "../../gen/flowgate/v1/deployment_pb.js";
import { FlowService } from "../../gen/flowgate/v1/flow_pb.js";
import { FlowRunService, type RetryType } from "../../gen/flowgate/v1/flow_run_pb.js";
import { SetStateStatus } from "../../gen/flowgate/v1/orchestration_pb.js";
import { StateType } from "../../gen/flowgate/v1/states_pb.js";
import { TaskRunService } from "../../gen/flowgate/v1/task_run_pb.js";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.ts";

let server: ServerProcess;
let flowId: string;
let flowRunId: string;

beforeAll(async () => {
  server = await startServerProcess();
  flowId = (await server.client(FlowService).createFlow({ name: "limits" })).flow!.id;
  flowRunId = (await server.client(FlowRunService).createFlowRun({ flowId })).flowRun!.id;
});
afterAll(() => server.stop());

/** The status of a failed call, the field its BadRequest names, and its message's length. */
async function refusal(call: Promise<unknown>) {
  const error = await call.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  expect(error, "the call succeeded").toBeDefined();
  return {
    code: error!.code,
    field: error!.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field,
    messageLength: error!.rawMessage.length,
  };
}

/** After every refusal the same process still answers a valid call. */
async function stillServing(): Promise<void> {
  expect(server.alive()).toBe(true);
  const { flow } = await server.client(FlowService).getFlow({ flowId });
  expect(flow?.id).toBe(flowId);
}

const farFuture = { seconds: 253_402_300_800n, nanos: 0 }; // 10000-01-01T00:00:00Z
const beyondDates = { seconds: 10n ** 15n, nanos: 0 }; // beyond what a JavaScript Date holds

describe("bounded input (issue 9 §3)", () => {
  it("CreateFlowRun with 100,000 tags is refused on tags (the replica ran out of heap)", async () => {
    const tags = Array.from({ length: 100_000 }, (_, i) => `tag-${i}`);
    expect(await refusal(server.client(FlowRunService).createFlowRun({ flowId, tags }))).toEqual({
      code: Code.InvalidArgument,
      field: "tags",
      messageLength: expect.any(Number),
    });
    await stillServing();
  });

  it("NaN and Infinity in state.data are refused on state.data (they were INTERNAL)", async () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const data = create(ValueSchema, { kind: { case: "numberValue", value } });
      const call = server
        .client(FlowRunService)
        .setFlowRunState({ flowRunId, state: { type: StateType.RUNNING, data } });
      expect(await refusal(call)).toMatchObject({
        code: Code.InvalidArgument,
        field: "state.data",
      });
    }
    await stillServing();
  });

  it("a NUL in a flow name is refused on name (it was UNAVAILABLE)", async () => {
    const call = server.client(FlowService).createFlow({ name: "nul\u0000name" });
    expect(await refusal(call)).toMatchObject({ code: Code.InvalidArgument, field: "name" });
    await stillServing();
  });

  it("collision_strategy 99 is refused (it was accepted)", async () => {
    const call = server.client(DeploymentService).createDeployment({
      flowId,
      name: "strategy-99",
      concurrencyOptions: { collisionStrategy: 99 as CollisionStrategy },
    });
    expect(await refusal(call)).toMatchObject({
      code: Code.InvalidArgument,
      field: "concurrency_options.collision_strategy",
    });
    await stillServing();
  });

  it("retry_type 99 is refused (it was accepted)", async () => {
    const call = server.client(FlowRunService).createFlowRun({
      flowId,
      empiricalPolicy: { retryType: 99 as RetryType },
    });
    expect(await refusal(call)).toMatchObject({
      code: Code.InvalidArgument,
      field: "empirical_policy.retry_type",
    });
    await stillServing();
  });

  it("a 1 MB flow_id is refused with a short message (its trailer was a Protocol error)", async () => {
    const call = server.client(FlowService).getFlow({ flowId: "f".repeat(1_000_000) });
    const result = await refusal(call);
    expect(result).toMatchObject({ code: Code.InvalidArgument, field: "flow_id" });
    expect(result.messageLength).toBeLessThan(200);
    await stillServing();
  });

  it("retries < 0 for a task run is refused, as for a flow run (it was accepted)", async () => {
    const tasks = server.client(TaskRunService);
    const call = tasks.createTaskRun({ taskKey: "t", empiricalPolicy: { retries: -1 } });
    expect(await refusal(call)).toMatchObject({
      code: Code.InvalidArgument,
      field: "empirical_policy.retries",
    });
    await stillServing();
  });

  it("a retry delay above a day is refused (1e308 was accepted, then failed at FAILED)", async () => {
    const tasks = server.client(TaskRunService);
    const call = tasks.createTaskRun({ taskKey: "t", empiricalPolicy: { retryDelay: [1e308] } });
    expect(await refusal(call)).toMatchObject({
      code: Code.InvalidArgument,
      field: "empirical_policy.retry_delay[0]",
    });
    await stillServing();
  });

  it("timestamps outside 0001-9999 are refused (they were stored, or INTERNAL)", async () => {
    for (const scheduledTime of [farFuture, beyondDates]) {
      const call = server.client(FlowRunService).setFlowRunState({
        flowRunId,
        state: { type: StateType.SCHEDULED, stateDetails: { scheduledTime } },
      });
      expect(await refusal(call)).toMatchObject({
        code: Code.InvalidArgument,
        field: "state.state_details.scheduled_time",
      });
    }
    const call = server
      .client(TaskRunService)
      .createTaskRun({ taskKey: "t", cacheExpiration: beyondDates });
    expect(await refusal(call)).toMatchObject({
      code: Code.InvalidArgument,
      field: "cache_expiration",
    });
    await stillServing();
  });
});

describe("times at the end of the contract's range (found by the fuzz test)", () => {
  const lastMillisecond = { seconds: 253_402_300_799n, nanos: 999_000_000 };

  it("a scheduled time after 9999-12-31T23:59:59.999Z is refused (it rounded up to year 10000 and was INTERNAL)", async () => {
    const runs = server.client(FlowRunService);
    const { flowRun } = await runs.createFlowRun({ flowId });
    const call = runs.setFlowRunState({
      flowRunId: flowRun!.id,
      state: {
        type: StateType.SCHEDULED,
        stateDetails: { scheduledTime: { seconds: 253_402_300_799n, nanos: 999_999_993 } },
      },
    });
    expect(await refusal(call)).toMatchObject({
      code: Code.InvalidArgument,
      field: "state.state_details.scheduled_time",
    });
    const { result } = await runs.setFlowRunState({
      flowRunId: flowRun!.id,
      state: { type: StateType.SCHEDULED, stateDetails: { scheduledTime: lastMillisecond } },
    });
    expect(result?.status).toBe(SetStateStatus.ACCEPT);
    await stillServing();
  });

  it("a WAIT until 9999 is answered with the longest int32 delay (its delay overflowed: INTERNAL)", async () => {
    const runs = server.client(FlowRunService);
    const scheduled = {
      type: StateType.SCHEDULED,
      stateDetails: { scheduledTime: lastMillisecond },
    };
    const { flowRun } = await runs.createFlowRun({ flowId, state: scheduled });
    const { result } = await runs.setFlowRunState({
      flowRunId: flowRun!.id,
      state: { type: StateType.RUNNING },
    });
    expect(result?.status).toBe(SetStateStatus.WAIT);
    expect(result?.details.case === "wait" && result.details.value.delaySeconds).toBe(
      2_147_483_647,
    );
    await stillServing();
  });
});

describe("FLOWGATE_MAX_MESSAGE_BYTES", () => {
  it("refuses a larger request with RESOURCE_EXHAUSTED before decoding it", async () => {
    const small = await startServerProcess({ FLOWGATE_MAX_MESSAGE_BYTES: "65536" });
    try {
      const flows = small.client(FlowService);
      const error = await flows
        .createFlow({ name: "big", tags: Array.from({ length: 20_000 }, (_, i) => `t${i}`) })
        .catch((e: unknown) => ConnectError.from(e));
      expect((error as ConnectError).code).toBe(Code.ResourceExhausted);
      expect((await flows.createFlow({ name: "small" })).flow?.name).toBe("small");
      expect(small.alive()).toBe(true);
    } finally {
      await small.stop();
    }
  });

  it("refuses a 50 MB request by its length prefix, without holding it in memory", async () => {
    // grpc-js, which reports the server's status even while it is still sending (connect-es
    // reports the reset stream as INTERNAL).
    const raw = new grpc.Client(server.target, grpc.credentials.createInsecure());
    const identity = (value: Buffer) => value;
    const before = server.memory().rss;
    const code = await new Promise<grpc.status>((resolve) =>
      raw.makeUnaryRequest(
        "/flowgate.v1.FlowService/CreateFlow",
        identity,
        identity,
        Buffer.alloc(50 * 1024 * 1024, 0x41),
        new grpc.Metadata(),
        (error) => resolve(error?.code ?? grpc.status.OK),
      ),
    );
    raw.close();
    expect(code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(server.memory().rss - before).toBeLessThan(30 * 1024 * 1024);
    await stillServing();
  });
});
