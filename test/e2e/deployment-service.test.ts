import { Code, type ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CollisionStrategy, DeploymentService } from "../../gen/flowgate/v1/deployment_pb.js";
import { FlowService } from "../../gen/flowgate/v1/flow_pb.js";
import { startTestServer, type TestServer } from "../support/server.ts";

let server: TestServer;
let flowId: string;
beforeAll(async () => {
  server = await startTestServer();
  flowId = (await server.client(FlowService).createFlow({ name: "deployed" })).flow!.id;
});
afterAll(() => server.stop());

const deployments = () => server.client(DeploymentService);
const code = (promise: Promise<unknown>) =>
  promise.then(
    () => Code.Unknown,
    (e: ConnectError) => e.code,
  );

describe("DeploymentService", () => {
  it("creates a deployment with a concurrency limit backed by a global limit row", async () => {
    const { deployment } = await deployments().createDeployment({
      flowId,
      name: "prod",
      concurrencyLimit: 1,
      concurrencyOptions: {
        collisionStrategy: CollisionStrategy.CANCEL_NEW,
        gracePeriodSeconds: 120,
      },
    });
    expect(deployment?.concurrencyLimit).toBe(1);
    expect(deployment?.concurrencyOptions?.collisionStrategy).toBe(CollisionStrategy.CANCEL_NEW);
    const rows = await server.database.query(
      'select l.name, l."limit" from deployment d join concurrency_limit_v2 l on l.id = d.concurrency_limit_id where d.id = $1',
      [deployment!.id],
    );
    expect(rows).toEqual([{ name: `deployment:${deployment!.id}`, limit: 1 }]);
  });

  it("resizes and removes the limit on update, and removes it on delete", async () => {
    const { deployment } = await deployments().createDeployment({
      flowId,
      name: "resize",
      concurrencyLimit: 2,
    });
    const id = deployment!.id;
    expect(
      (
        await deployments().updateDeployment({
          deploymentId: id,
          name: "resize",
          concurrencyLimit: 5,
        })
      ).deployment?.concurrencyLimit,
    ).toBe(5);
    expect(
      (await deployments().updateDeployment({ deploymentId: id, name: "resize" })).deployment
        ?.concurrencyLimit,
    ).toBeUndefined();
    expect(
      await server.database.query("select 1 from concurrency_limit_v2 where name = $1", [
        `deployment:${id}`,
      ]),
    ).toEqual([]);
    await deployments().updateDeployment({ deploymentId: id, name: "resize", concurrencyLimit: 3 });
    await deployments().deleteDeployment({ deploymentId: id });
    expect(await code(deployments().getDeployment({ deploymentId: id }))).toBe(Code.NotFound);
    expect(
      await server.database.query("select 1 from concurrency_limit_v2 where name = $1", [
        `deployment:${id}`,
      ]),
    ).toEqual([]);
  });

  it("answers NOT_FOUND for an unknown flow and INVALID_ARGUMENT for bad fields", async () => {
    expect(
      await code(
        deployments().createDeployment({
          flowId: "00000000-0000-4000-8000-000000000000",
          name: "x",
        }),
      ),
    ).toBe(Code.NotFound);
    expect(
      await code(deployments().createDeployment({ flowId, name: "x", concurrencyLimit: -1 })),
    ).toBe(Code.InvalidArgument);
    expect(
      await code(
        deployments().createDeployment({
          flowId,
          name: "x",
          concurrencyOptions: { gracePeriodSeconds: 5 },
        }),
      ),
    ).toBe(Code.InvalidArgument);
  });
});
