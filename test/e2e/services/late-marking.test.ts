/**
 * The services as app.ts wires them: a real server whose late-run loop ticks every 0.1 s
 * marks an overdue run Late, visible over gRPC; stopping the server stops the loops.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, expect, it } from "vitest";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { flowRunHelpers } from "../../support/flow-runs.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    FLOWGATE_LATE_RUNS_LOOP_SECONDS: "0.1",
    FLOWGATE_LATE_RUNS_AFTER_SECONDS: "15",
  });
});
afterAll(() => server.stop());

it("marks an overdue Scheduled run Late and leaves a punctual one Scheduled", async () => {
  const h = flowRunHelpers(server);
  const scheduledTime = timestampFromDate(new Date(Date.now() - 3_600_000));
  const overdue = await h.newRun({
    state: { type: StateType.SCHEDULED, stateDetails: { scheduledTime } },
  });
  const punctual = await h.newRun({
    state: {
      type: StateType.SCHEDULED,
      stateDetails: { scheduledTime: timestampFromDate(new Date(Date.now() + 3_600_000)) },
    },
  });

  let run = await h.get(overdue.id);
  for (let attempt = 0; attempt < 200 && run.state?.name !== "Late"; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    run = await h.get(overdue.id);
  }
  expect(run.state?.type).toBe(StateType.SCHEDULED);
  expect(run.state?.name).toBe("Late");
  expect(run.state?.stateDetails?.scheduledTime).toEqual(scheduledTime);
  expect((await h.get(punctual.id)).state?.name).toBe("Scheduled");

  const states = await h.runs.listFlowRunStates({ flowRunId: overdue.id });
  expect(states.states.map((s) => s.name)).toEqual(["Scheduled", "Late"]);
});
