/**
 * FLOWGATE_AUTH_TOKENS_FILE on the real process: a missing or empty file stops it at start
 * with exit 2 naming the variable; a file of tokens turns authentication on, which the
 * process logs with the number of tokens (never the tokens themselves).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowService } from "../../../gen/flowgate/v1/flow_pb.js";
import { createTestDatabase, type TestDatabase } from "../../support/database.ts";
import { spawnFlowgate } from "../../support/process.ts";

const dir = mkdtempSync(path.join(tmpdir(), "flowgate-tokens-"));
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe("FLOWGATE_AUTH_TOKENS_FILE", () => {
  it.each([
    ["missing", path.join(dir, "no-such-file")],
    ["empty", path.join(dir, "empty")],
  ])("exits 2 naming the variable when the file is %s", async (_, file) => {
    writeFileSync(path.join(dir, "empty"), "\n# nothing yet\n");
    const flowgate = spawnFlowgate({ DATABASE_URL: database.url, FLOWGATE_AUTH_TOKENS_FILE: file });
    expect(await flowgate.exited).toBe(2);
    expect(flowgate.output()).toContain("FLOWGATE_AUTH_TOKENS_FILE");
  });

  it("turns authentication on, logging how many tokens it loaded and never the tokens", async () => {
    const file = path.join(dir, "tokens");
    writeFileSync(file, "first-secret-token\nsecond-secret-token\n");
    const flowgate = spawnFlowgate({
      DATABASE_URL: database.url,
      FLOWGATE_AUTH_TOKENS_FILE: file,
      FLOWGATE_BACKGROUND_SERVICES: "false",
    });
    const transport = createGrpcTransport({
      baseUrl: `http://127.0.0.1:${(await flowgate.listening).port}`,
    });
    const refused = await createClient(FlowService, transport)
      .createFlow({ name: "anonymous" })
      .catch((e) => ConnectError.from(e));
    expect((refused as ConnectError).code).toBe(Code.Unauthenticated);
    const authed = await createClient(FlowService, transport).createFlow(
      { name: "with-token" },
      { headers: { authorization: "Bearer second-secret-token" } },
    );
    expect(authed.flow?.name).toBe("with-token");
    flowgate.child.kill("SIGTERM");
    expect(await flowgate.exited).toBe(0);
    expect(flowgate.output()).toMatch(/"tokens":2,"msg":"authentication on"/);
    expect(flowgate.output()).not.toContain("secret-token");
  });
});
