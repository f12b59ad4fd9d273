/**
 * Regression: calls waiting for a database connection whose deadline passed kept their
 * admission slot for as long as the wait lasted (forever, when the pool had lost its
 * connections), until every new call was RESOURCE_EXHAUSTED. Here the pool's only
 * connection is held by a transition blocked on a row lock, so the calls behind it wait for
 * a connection; the acquire timeout is long, so only their deadline can end the wait.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { FlowService } from "../../../gen/flowgate/v1/flow_pb.js";
import { FlowRunService } from "../../../gen/flowgate/v1/flow_run_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { flowRunHelpers } from "../../support/flow-runs.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    FLOWGATE_BACKGROUND_SERVICES: "false",
    FLOWGATE_DB_POOL_SIZE: "1",
    FLOWGATE_MAX_IN_FLIGHT: "3",
    FLOWGATE_DB_ACQUIRE_TIMEOUT_MS: "60000",
  });
});
afterAll(() => server.stop());

const codeOf = (call: Promise<unknown>) =>
  call.then(
    () => "ok",
    (e: unknown) => (e instanceof ConnectError ? e.code : e),
  );

it("regression: a cancelled call waiting for a connection releases its admission slot", async () => {
  const h = flowRunHelpers(server);
  const [blocked, ...others] = await Promise.all([h.newRun(), h.newRun(), h.newRun()]);
  const locker = new pg.Client({ connectionString: server.database.url });
  await locker.connect();
  try {
    await locker.query("begin");
    await locker.query("select 1 from flow_run where id = $1 for update", [blocked!.id]);
    // Takes the pool's only connection and waits for the row lock: one admission slot.
    const holder = codeOf(h.propose(blocked!.id, { type: StateType.RUNNING }));
    await waitForLockWaiter();

    // The two other slots: calls that wait for the connection until their deadline passes.
    const waiters = await Promise.all(
      others.map((run) =>
        codeOf(
          server
            .client(FlowRunService)
            .setFlowRunState(
              { flowRunId: run.id, state: { type: StateType.RUNNING } },
              { timeoutMs: 300 },
            ),
        ),
      ),
    );
    expect(waiters).toEqual([Code.DeadlineExceeded, Code.DeadlineExceeded]);

    // Their slots are free again (as soon as the server has seen the deadlines pass, long
    // before the acquire timeout): new calls are admitted, and answered without the database.
    const admitted = () =>
      Promise.all(
        [1, 2].map(() => codeOf(server.client(FlowService).getFlow({ flowId: "not-a-uuid" }))),
      );
    let codes = await admitted();
    for (let tries = 0; tries < 50 && codes.includes(Code.ResourceExhausted); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      codes = await admitted();
    }
    expect(codes).toEqual([Code.InvalidArgument, Code.InvalidArgument]);

    await locker.query("commit");
    expect(await holder).toBe("ok");
  } finally {
    await locker.end();
  }
  // The cancelled transitions never ran: their runs are still in their initial state.
  for (const run of others) expect((await h.get(run.id)).state?.type).toBe(run.state?.type);
});

/** Until a backend of flowgate waits for the row lock the test holds. */
async function waitForLockWaiter(): Promise<void> {
  for (;;) {
    const rows = await server.database.query(
      "select 1 from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()",
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
