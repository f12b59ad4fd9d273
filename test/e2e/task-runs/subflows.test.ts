/** A subflow's states are mirrored onto its parent task run, in the subflow's transaction. */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { FlowService } from "../../../gen/flowgate/v1/flow_pb.js";
import { SetStateStatus } from "../../../gen/flowgate/v1/orchestration_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { startTestServer, type TestServer } from "../../support/server.ts";
import { taskRunHelpers } from "../../support/task-runs.ts";

let server: TestServer;
let h: ReturnType<typeof taskRunHelpers>;
beforeAll(async () => {
  server = await startTestServer({ FLOWGATE_BACKGROUND_SERVICES: "false" });
  h = taskRunHelpers(server);
});
afterAll(() => server.stop());

it("mirrors RUNNING and COMPLETED of a child flow run onto the parent task run", async () => {
  const parentRunId = await h.newFlowRun();
  const parentTask = await h.newTask({ flowRunId: parentRunId, taskKey: "subflow" });
  const flowId = (await server.client(FlowService).createFlow({ name: `child-${randomUUID()}` }))
    .flow!.id;
  const child = (await h.flowRuns.createFlowRun({ flowId, parentTaskRunId: parentTask.id }))
    .flowRun!;

  const running = await h.flowRuns.setFlowRunState({
    flowRunId: child.id,
    state: { type: StateType.RUNNING },
  });
  expect(running.result?.status).toBe(SetStateStatus.ACCEPT);
  let task = (await h.tasks.getTaskRun({ taskRunId: parentTask.id })).taskRun!;
  expect(task.stateType).toBe(StateType.RUNNING);
  expect(task.state?.stateDetails?.childFlowRunId).toBe(child.id);

  await h.flowRuns.setFlowRunState({ flowRunId: child.id, state: { type: StateType.COMPLETED } });
  task = (await h.tasks.getTaskRun({ taskRunId: parentTask.id })).taskRun!;
  expect(task.stateType).toBe(StateType.COMPLETED);
  const history = await h.tasks.listTaskRunStates({ taskRunId: parentTask.id });
  expect(history.states.map((s) => s.type)).toEqual([
    StateType.PENDING,
    StateType.PENDING,
    StateType.RUNNING,
    StateType.COMPLETED,
  ]);
});
