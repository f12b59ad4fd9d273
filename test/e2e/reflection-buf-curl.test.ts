/**
 * Drives the server the way an operator does: `buf curl` (a Go reflection client, like
 * grpcurl) with no proto files, only server reflection.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/server.ts";

const run = promisify(execFile);
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

async function bufCurl(...args: string[]): Promise<string> {
  const { stdout } = await run("npx", [
    "buf",
    "curl",
    "--protocol",
    "grpc",
    "--http2-prior-knowledge",
    ...args,
  ]);
  return stdout;
}

describe("buf curl through reflection only", () => {
  it("lists flowgate's services, health and reflection", async () => {
    const services = (await bufCurl("--list-services", server.address)).trim().split("\n");
    expect(services).toEqual(
      expect.arrayContaining(["flowgate.v1.FlowService", "grpc.health.v1.Health"]),
    );
  });

  it("creates a flow from JSON and reads it back", async () => {
    const created = JSON.parse(
      await bufCurl(
        "-d",
        '{"name":"from-json","tags":["cli"]}',
        `${server.address}/flowgate.v1.FlowService/CreateFlow`,
      ),
    );
    expect(created.flow.name).toBe("from-json");
    expect(created.created).toBe(true);
    const got = JSON.parse(
      await bufCurl(
        "-d",
        JSON.stringify({ flowId: created.flow.id }),
        `${server.address}/flowgate.v1.FlowService/GetFlow`,
      ),
    );
    expect(got.flow).toEqual(created.flow);
  });

  it("answers health SERVING for the overall service and for FlowService", async () => {
    for (const service of ["", "flowgate.v1.FlowService"]) {
      const answer = JSON.parse(
        await bufCurl(
          "-d",
          JSON.stringify({ service }),
          `${server.address}/grpc.health.v1.Health/Check`,
        ),
      );
      expect(answer.status).toBe("SERVING");
    }
  });
});
