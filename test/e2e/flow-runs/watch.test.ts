/**
 * WatchFlowRun: the current state first, then every committed transition in commit order,
 * including transitions committed through another replica on the same database.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { FlowRunService } from "../../../gen/flowgate/v1/flow_run_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { type App, startApp } from "../../../src/app.ts";
import { loadConfig } from "../../../src/config.ts";
import { createLogger } from "../../../src/logger.ts";
import { flowRunHelpers } from "../../support/flow-runs.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";

let server: TestServer;
let replica: App;
let h: ReturnType<typeof flowRunHelpers>;
beforeAll(async () => {
  server = await startTestServer();
  replica = await startApp(
    loadConfig({
      FLOWGATE_HOST: "127.0.0.1",
      FLOWGATE_PORT: "0",
      DATABASE_URL: server.database.url,
    }),
    createLogger("silent"),
  );
  h = flowRunHelpers(server);
});
afterAll(async () => {
  await replica.stop();
  await server.stop();
});

it("streams the current state, then transitions committed on this and another replica, in order", async () => {
  const run = await h.newRun();
  const other = createClient(
    FlowRunService,
    createGrpcTransport({ baseUrl: `http://127.0.0.1:${replica.port}` }),
  );
  const abort = new AbortController();
  const seen: string[] = [];
  const stream = h.runs.watchFlowRun({ flowRunId: run.id }, { signal: abort.signal });
  const done = (async () => {
    try {
      for await (const message of stream) {
        seen.push(`${StateType[message.state!.type]}:${message.state!.name}`);
        if (seen.length === 5) abort.abort();
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    }
  })();
  await waitFor(() => seen.length === 1);
  await h.propose(run.id, { type: StateType.RUNNING });
  await other.setFlowRunState({
    flowRunId: run.id,
    state: { type: StateType.RUNNING, name: "Still running" },
  });
  await h.propose(run.id, { type: StateType.RUNNING, name: "Third" });
  await other.setFlowRunState({ flowRunId: run.id, state: { type: StateType.COMPLETED } });
  await done;
  expect(seen).toEqual([
    "PENDING:Pending",
    "RUNNING:Running",
    "RUNNING:Still running",
    "RUNNING:Third",
    "COMPLETED:Completed",
  ]);
});

it("answers NOT_FOUND for an unknown run", async () => {
  const stream = h.runs.watchFlowRun({ flowRunId: "00000000-0000-4000-8000-000000000000" });
  await expect(
    (async () => {
      for await (const _ of stream) {
        // no message expected
      }
    })(),
  ).rejects.toMatchObject({ code: 5 });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error("condition not met");
}
