import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowService } from "../../gen/flowgate/v1/flow_pb.js";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { startTestServer, type TestServer } from "../support/server.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const flows = () => server.client(FlowService);

async function rpcError(promise: Promise<unknown>): Promise<ConnectError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

describe("FlowService", () => {
  it("creates a flow and returns the same flow when the name is reused", async () => {
    const first = await flows().createFlow({ name: "etl", tags: ["nightly"] });
    const second = await flows().createFlow({ name: "etl", tags: ["other"] });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.flow?.id).toBe(first.flow?.id);
    expect(second.flow?.tags).toEqual(["nightly"]);
  });

  it("creates exactly one flow when twenty callers race for one name", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => flows().createFlow({ name: "raced" })),
    );
    expect(new Set(results.map((r) => r.flow?.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const rows = await server.database.query(
      "select count(*)::int as n from flow where name = 'raced'",
    );
    expect(rows[0]?.n).toBe(1);
  });

  it("gets a flow by id", async () => {
    const { flow } = await flows().createFlow({ name: "get-me" });
    const got = await flows().getFlow({ flowId: flow!.id });
    expect(got.flow?.name).toBe("get-me");
  });

  it("answers NOT_FOUND for an unknown id", async () => {
    const error = await rpcError(
      flows().getFlow({ flowId: "00000000-0000-4000-8000-000000000000" }),
    );
    expect(error.code).toBe(Code.NotFound);
  });

  it("answers INVALID_ARGUMENT naming the field for a malformed id", async () => {
    const error = await rpcError(flows().getFlow({ flowId: "not-a-uuid" }));
    expect(error.code).toBe(Code.InvalidArgument);
    const [badRequest] = error.findDetails(BadRequestSchema);
    expect(badRequest?.fieldViolations[0]?.field).toBe("flow_id");
  });

  it("answers INVALID_ARGUMENT for an empty name and keeps serving", async () => {
    const error = await rpcError(flows().createFlow({ name: "  " }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect((await flows().createFlow({ name: "after-error" })).flow?.name).toBe("after-error");
  });

  it("lists every flow exactly once across pages", async () => {
    for (let i = 0; i < 7; i++) await flows().createFlow({ name: `paged-${i}` });
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await flows().listFlows({ pageSize: 3, pageToken });
      seen.push(...page.flows.map((f) => f.name));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== "");
    const paged = seen.filter((name) => name.startsWith("paged-"));
    expect(paged).toEqual(Array.from({ length: 7 }, (_, i) => `paged-${i}`));
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBeGreaterThan(2);
  });

  it("rejects a page size above 1000 and a forged page token", async () => {
    expect((await rpcError(flows().listFlows({ pageSize: 1001 }))).code).toBe(Code.InvalidArgument);
    expect((await rpcError(flows().listFlows({ pageToken: "garbage" }))).code).toBe(
      Code.InvalidArgument,
    );
  });

  it("deletes a flow, then answers NOT_FOUND for it", async () => {
    const { flow } = await flows().createFlow({ name: "delete-me" });
    await flows().deleteFlow({ flowId: flow!.id });
    expect((await rpcError(flows().getFlow({ flowId: flow!.id }))).code).toBe(Code.NotFound);
    expect((await rpcError(flows().deleteFlow({ flowId: flow!.id }))).code).toBe(Code.NotFound);
  });
});
