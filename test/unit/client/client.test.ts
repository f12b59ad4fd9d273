/**
 * The TypeScript client against an in-memory fake server (connect-es' router transport):
 * transition ids are filled in once and kept across retries; ABORTED is retried for every
 * call, UNAVAILABLE only where a replay is safe; attempts are bounded and the delays follow
 * the jittered exponential backoff.
 */
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { DeploymentService } from "../../../gen/flowgate/v1/deployment_pb.js";
import { FlowRunService } from "../../../gen/flowgate/v1/flow_run_pb.js";
import { SetStateStatus } from "../../../gen/flowgate/v1/orchestration_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import {
  backoffDelayMs,
  createFlowgateClient,
  type RetryOptions,
} from "../../../src/client/index.ts";

const RUN_ID = "0190c1a4-0000-7000-8000-000000000001";

/** A client whose server answers with `failures` in order, then succeeds. */
function fakeFlowgate(failures: Code[], retry: RetryOptions = {}) {
  const seen = { transitionIds: [] as string[], deploymentCalls: 0, headers: [] as string[] };
  const sleeps: number[] = [];
  const queue = [...failures];
  const failNext = () => {
    const code = queue.shift();
    if (code !== undefined) throw new ConnectError(`fake ${Code[code]}`, code);
  };
  const client = createFlowgateClient({
    token: "s3cret",
    retry: { random: () => 0.5, sleep: async (ms) => void sleeps.push(ms), ...retry },
    transport: (interceptors) =>
      createRouterTransport(
        (router) => {
          router.service(FlowRunService, {
            setFlowRunState(request, context) {
              seen.transitionIds.push(request.state?.stateDetails?.transitionId ?? "");
              seen.headers.push(context.requestHeader.get("authorization") ?? "");
              failNext();
              return { result: { status: SetStateStatus.ACCEPT } };
            },
          });
          router.service(DeploymentService, {
            createDeployment() {
              seen.deploymentCalls += 1;
              failNext();
              return { deployment: { name: "prod" } };
            },
          });
        },
        { transport: { interceptors } },
      ),
  });
  return { client, seen, sleeps };
}

describe("state proposals", () => {
  it("get a transition id, and keep it on every retry", async () => {
    const { client, seen } = fakeFlowgate([Code.Unavailable, Code.Aborted]);
    const { result } = await client.flowRuns.setFlowRunState({
      flowRunId: RUN_ID,
      state: { type: StateType.RUNNING },
    });
    expect(result?.status).toBe(SetStateStatus.ACCEPT);
    expect(seen.transitionIds).toHaveLength(3);
    expect(seen.transitionIds[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(seen.transitionIds).size).toBe(1);
    expect(seen.headers).toEqual(Array(3).fill("Bearer s3cret"));
  });

  it("keep a transition id the caller chose", async () => {
    const { client, seen } = fakeFlowgate([]);
    await client.flowRuns.setFlowRunState({
      flowRunId: RUN_ID,
      state: { type: StateType.RUNNING, stateDetails: { transitionId: "mine" } },
    });
    expect(seen.transitionIds).toEqual(["mine"]);
  });

  it("get a new id per call: two proposals are two transitions", async () => {
    const { client, seen } = fakeFlowgate([]);
    for (let i = 0; i < 2; i++) {
      await client.flowRuns.setFlowRunState({ flowRunId: RUN_ID, state: { type: 3 } });
    }
    expect(new Set(seen.transitionIds).size).toBe(2);
  });
});

describe("retries", () => {
  it("are bounded: the last error comes back after maxAttempts", async () => {
    const { client, seen, sleeps } = fakeFlowgate(Array(10).fill(Code.Unavailable), {
      maxAttempts: 4,
    });
    const call = client.flowRuns.setFlowRunState({ flowRunId: RUN_ID, state: { type: 3 } });
    await expect(call).rejects.toMatchObject({ code: Code.Unavailable });
    expect(seen.transitionIds).toHaveLength(4);
    // random() = 0.5 of the bounds 100, 200, 400 ms
    expect(sleeps).toEqual([50, 100, 200]);
  });

  it("never retry a bad request", async () => {
    const { client, seen } = fakeFlowgate([Code.InvalidArgument]);
    const call = client.flowRuns.setFlowRunState({ flowRunId: RUN_ID, state: { type: 3 } });
    await expect(call).rejects.toMatchObject({ code: Code.InvalidArgument });
    expect(seen.transitionIds).toHaveLength(1);
  });

  it("replay a create after ABORTED (rolled back), not after UNAVAILABLE (may have committed)", async () => {
    const aborted = fakeFlowgate([Code.Aborted]);
    await aborted.client.deployments.createDeployment({ flowId: RUN_ID, name: "prod" });
    expect(aborted.seen.deploymentCalls).toBe(2);

    const unavailable = fakeFlowgate([Code.Unavailable]);
    const call = unavailable.client.deployments.createDeployment({ flowId: RUN_ID, name: "p" });
    await expect(call).rejects.toMatchObject({ code: Code.Unavailable });
    expect(unavailable.seen.deploymentCalls).toBe(1);
  });

  it("report each retry to onRetry", async () => {
    const events: string[] = [];
    const { client } = fakeFlowgate([Code.Aborted], {
      onRetry: (event) => events.push(`${event.procedure} #${event.attempt} ${event.delayMs}`),
    });
    await client.flowRuns.setFlowRunState({ flowRunId: RUN_ID, state: { type: 3 } });
    expect(events).toEqual(["flowgate.v1.FlowRunService/SetFlowRunState #1 50"]);
  });

  it("stop waiting when the call is cancelled", async () => {
    const { client, seen } = fakeFlowgate(Array(10).fill(Code.Unavailable), {
      sleep: undefined, // the real, abortable sleep
      initialDelayMs: 60_000,
      maxDelayMs: 60_000,
    });
    const controller = new AbortController();
    const call = client.flowRuns.setFlowRunState(
      { flowRunId: RUN_ID, state: { type: 3 } },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 20);
    await expect(call).rejects.toMatchObject({ code: Code.Canceled });
    expect(seen.transitionIds).toHaveLength(1);
  });
});

describe("backoff", () => {
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [5, 1600],
    [6, 2000],
    [20, 2000],
  ])("retry %i waits below %i ms (full jitter)", (retry, bound) => {
    expect(backoffDelayMs(retry, {}, () => 0)).toBe(0);
    expect(backoffDelayMs(retry, {}, () => 0.999999)).toBe(bound - 1);
  });
});
