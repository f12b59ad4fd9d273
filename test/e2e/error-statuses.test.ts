/**
 * Regression tests for valid-but-unlucky and oversized input that used to come back INTERNAL
 * or UNAVAILABLE: each answer is a clean status with a meaningful ErrorInfo reason.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeploymentService } from "../../gen/flowgate/v1/deployment_pb.js";
import { FlowService } from "../../gen/flowgate/v1/flow_pb.js";
import { FlowRunService } from "../../gen/flowgate/v1/flow_run_pb.js";
import { StateType } from "../../gen/flowgate/v1/states_pb.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { flowRunHelpers } from "../support/flow-runs.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { taskRunHelpers } from "../support/task-runs.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ FLOWGATE_BACKGROUND_SERVICES: "false" });
});
afterAll(() => server.stop());

async function rpcError(promise: Promise<unknown>): Promise<ConnectError> {
  const error = await promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => e,
  );
  if (!(error instanceof ConnectError)) throw error;
  return error;
}

function errorInfo(error: ConnectError) {
  const [info] = error.findDetails(ErrorInfoSchema);
  return { reason: info?.reason, domain: info?.domain };
}

async function newFlow(name: string): Promise<string> {
  return (await server.client(FlowService).createFlow({ name })).flow!.id;
}

describe("valid-but-unlucky input is never INTERNAL", () => {
  it("CreateDeployment with an existing (flow, name) is ALREADY_EXISTS naming the deployment", async () => {
    const deployments = server.client(DeploymentService);
    const flowId = await newFlow("duplicate-deployment");
    await deployments.createDeployment({ flowId, name: "prod" });
    const error = await rpcError(deployments.createDeployment({ flowId, name: "prod" }));
    expect(error.code).toBe(Code.AlreadyExists);
    expect(error.rawMessage).toMatch(
      /^deployment with \(flow_id, name\)=\(.*, prod\) already exists$/,
    );
    expect(errorInfo(error)).toEqual({ reason: "ALREADY_EXISTS", domain: "flowgate.dev" });
    const rows = await server.database.query("select 1 from deployment where flow_id = $1", [
      flowId,
    ]);
    expect(rows).toHaveLength(1);
  });

  it("UpdateDeployment renaming onto an existing name is ALREADY_EXISTS", async () => {
    const deployments = server.client(DeploymentService);
    const flowId = await newFlow("rename-deployment");
    await deployments.createDeployment({ flowId, name: "taken" });
    const { deployment } = await deployments.createDeployment({ flowId, name: "other" });
    const error = await rpcError(
      deployments.updateDeployment({ deploymentId: deployment!.id, name: "taken" }),
    );
    expect(error.code).toBe(Code.AlreadyExists);
  });

  it("8 concurrent UpdateDeployment calls giving a deployment its first limit all succeed, with one limit row", async () => {
    const deployments = server.client(DeploymentService);
    const flowId = await newFlow("first-limit-race");
    for (let trial = 0; trial < 3; trial++) {
      const { deployment } = await deployments.createDeployment({ flowId, name: `race-${trial}` });
      const id = deployment!.id;
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          deployments.updateDeployment({
            deploymentId: id,
            name: `race-${trial}`,
            concurrencyLimit: i + 1,
          }),
        ),
      );
      const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
      expect(failures).toEqual([]);
      const rows = await server.database.query<{ id: string; limit: number }>(
        'select id, "limit" from concurrency_limit_v2 where name = $1',
        [`deployment:${id}`],
      );
      expect(rows).toHaveLength(1);
      const [linked] = await server.database.query<{ concurrency_limit_id: string }>(
        "select concurrency_limit_id from deployment where id = $1",
        [id],
      );
      expect(linked?.concurrency_limit_id).toBe(rows[0]?.id);
      const got = await deployments.getDeployment({ deploymentId: id });
      expect(got.deployment?.concurrencyLimit).toBe(rows[0]?.limit);
    }
  });
});

describe("a retry delay of 1e308 stored on a run does not fail at FAILED time", () => {
  // Set in the database: creation may cap delays, but a run stored before must still work.
  const LATEST = "9999-12-31T23:59:59.999Z";

  it("flow run: RUNNING → FAILED is REJECTed into AwaitingRetry at the latest valid time", async () => {
    const h = flowRunHelpers(server);
    const run = await h.newRun({ empiricalPolicy: { retries: 1, retryDelay: 1 } });
    await server.database.query(
      "update flow_run set empirical_policy = jsonb_set(empirical_policy, '{retryDelay}', '1e308') where id = $1",
      [run.id],
    );
    await h.propose(run.id, { type: StateType.PENDING });
    await h.propose(run.id, { type: StateType.RUNNING });
    const result = await h.propose(run.id, { type: StateType.FAILED });
    expect(result.state?.name).toBe("AwaitingRetry");
    const scheduled = result.state?.stateDetails?.scheduledTime;
    expect(new Date(Number(scheduled?.seconds) * 1000).toISOString().slice(0, 10)).toBe(
      LATEST.slice(0, 10),
    );
  });

  it("task run: RUNNING → FAILED is REJECTed into AwaitingRetry at the latest valid time", async () => {
    const t = taskRunHelpers(server);
    const flowRunId = await t.newFlowRun();
    const task = await t.newTask({ flowRunId, empiricalPolicy: { retries: 1, retryDelay: [1] } });
    await server.database.query(
      "update task_run set empirical_policy = jsonb_set(empirical_policy, '{retryDelay}', '[1e308]') where id = $1",
      [task.id],
    );
    await t.propose(task.id, { type: StateType.PENDING });
    await t.propose(task.id, { type: StateType.RUNNING });
    const result = await t.propose(task.id, { type: StateType.FAILED });
    expect(result.state?.name).toBe("AwaitingRetry");
  });
});

describe("bad input is INVALID_ARGUMENT with a short message", () => {
  it("a 1 MB flow_id is INVALID_ARGUMENT whose message quotes only a short prefix", async () => {
    const flowId = "f".repeat(1024 * 1024);
    const error = await rpcError(server.client(FlowRunService).createFlowRun({ flowId }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage.length).toBeLessThan(300);
    expect(errorInfo(error).reason).toBe("INVALID_FIELD");
    // The server is still serving.
    expect((await server.client(FlowService).createFlow({ name: "after-1mb" })).flow).toBeDefined();
  });

  it("a NUL byte in a name is INVALID_ARGUMENT, not UNAVAILABLE (clients must not retry it)", async () => {
    const error = await rpcError(server.client(FlowService).createFlow({ name: "nul\u0000name" }));
    expect(error.code).toBe(Code.InvalidArgument);
  });

  it("a NUL escape in JSON parameters is INVALID_ARGUMENT, not UNAVAILABLE", async () => {
    const flowId = await newFlow("nul-json");
    const error = await rpcError(
      server.client(FlowRunService).createFlowRun({
        flowId,
        parameters: { key: { kind: { case: "stringValue", value: "a\u0000b" } } },
      }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
  });
});
