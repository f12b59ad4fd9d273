/** A call whose deadline passes leaves nothing behind; too many calls in flight fail fast. */
import { Code, type ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { FlowRunService } from "../../../gen/flowgate/v1/flow_run_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { flowRunHelpers } from "../../support/flow-runs.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";

let server: TestServer;
let admission: TestServer;
beforeAll(async () => {
  server = await startTestServer({ FLOWGATE_BACKGROUND_SERVICES: "false" });
  admission = await startTestServer({
    FLOWGATE_BACKGROUND_SERVICES: "false",
    FLOWGATE_MAX_IN_FLIGHT: "2",
  });
});
afterAll(async () => {
  await server.stop();
  await admission.stop();
});

it("rolls back a call whose 1 ms deadline passed: DEADLINE_EXCEEDED and no state row", async () => {
  const h = flowRunHelpers(server);
  const runs = await Promise.all(Array.from({ length: 20 }, () => h.newRun()));
  const results = await Promise.all(
    runs.map((run) =>
      server
        .client(FlowRunService)
        .setFlowRunState(
          { flowRunId: run.id, state: { type: StateType.RUNNING } },
          { timeoutMs: 1 },
        )
        .then(
          () => "ok",
          (e: ConnectError) => e.code,
        ),
    ),
  );
  expect(results.filter((r) => r === Code.DeadlineExceeded).length).toBeGreaterThan(0);
  // Give cancelled transactions time to roll back, then check what committed.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const rows = await server.database.query<{ id: string; n: number }>(
    "select flow_run_id as id, count(*)::int as n from flow_run_state where type = 'RUNNING' group by flow_run_id",
  );
  const committed = new Set(rows.map((r) => r.id));
  runs.forEach((run, i) => {
    // A call answered DEADLINE_EXCEEDED must not have committed its RUNNING state.
    if (results[i] === Code.DeadlineExceeded) expect(committed.has(run.id)).toBe(false);
  });
});

it("answers RESOURCE_EXHAUSTED beyond the in-flight limit instead of queueing", async () => {
  const h = flowRunHelpers(admission);
  const run = await h.newRun();
  const results = await Promise.all(
    Array.from({ length: 30 }, () =>
      admission
        .client(FlowRunService)
        .getFlowRun({ flowRunId: run.id })
        .then(
          () => "ok",
          (e: ConnectError) => e.code,
        ),
    ),
  );
  expect(results).toContain("ok");
  expect(results).toContain(Code.ResourceExhausted);
});
