/**
 * Regression: deleting a run that holds a concurrency slot frees the slot in the same
 * transaction. Before the fix a deleted PENDING holder kept its deployment lease until it
 * expired (300 s) and new runs were turned away meanwhile; a deleted task run kept its V2
 * `tag:` lease the same way. Over gRPC, on PostgreSQL; the background loops are off, so no
 * reaper can free anything behind the test's back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowService } from "../../../gen/flowgate/v1/flow_pb.js";
import { SetStateStatus } from "../../../gen/flowgate/v1/orchestration_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { flowRunHelpers, scheduledNow } from "../../support/flow-runs.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";
import { deploymentSlots, heldBy, insertTagLimitV2, tagSlotsV2 } from "../../support/slots.ts";
import { taskRunHelpers } from "../../support/task-runs.ts";

let server: TestServer;
let flows: ReturnType<typeof flowRunHelpers>;
let tasks: ReturnType<typeof taskRunHelpers>;
beforeAll(async () => {
  server = await startTestServer({ FLOWGATE_BACKGROUND_SERVICES: "false" });
  flows = flowRunHelpers(server);
  tasks = taskRunHelpers(server);
});
afterAll(() => server.stop());

describe("deleting a deployment-slot holder", () => {
  it("DeleteFlowRun of a PENDING holder frees its slot: the next run gets it at once", async () => {
    const { flowId, deploymentId } = await flows.newDeployment({ concurrencyLimit: 1 });
    const a = await flows.newRun({ flowId, deploymentId, state: scheduledNow() });
    const b = await flows.newRun({ flowId, deploymentId, state: scheduledNow() });
    expect((await flows.propose(a.id, { type: StateType.PENDING })).status).toBe(
      SetStateStatus.ACCEPT,
    );
    const turnedAway = await flows.propose(b.id, { type: StateType.PENDING });
    expect(turnedAway.state?.name).toBe("AwaitingConcurrencySlot");

    await flows.runs.deleteFlowRun({ flowRunId: a.id });
    expect(await deploymentSlots(server.database, deploymentId)).toEqual(heldBy(0));

    const again = await flows.propose(b.id, { type: StateType.PENDING });
    expect(again.status).toBe(SetStateStatus.ACCEPT);
    expect(await deploymentSlots(server.database, deploymentId)).toEqual(heldBy(1));
  });

  it("DeleteFlowRun of a RUNNING holder frees its slot", async () => {
    const { flowId, deploymentId } = await flows.newDeployment({ concurrencyLimit: 1 });
    const a = await flows.newRun({ flowId, deploymentId, state: scheduledNow() });
    await flows.propose(a.id, { type: StateType.PENDING });
    expect((await flows.propose(a.id, { type: StateType.RUNNING })).status).toBe(
      SetStateStatus.ACCEPT,
    );
    await flows.runs.deleteFlowRun({ flowRunId: a.id });
    const b = await flows.newRun({ flowId, deploymentId, state: scheduledNow() });
    expect((await flows.propose(b.id, { type: StateType.PENDING })).status).toBe(
      SetStateStatus.ACCEPT,
    );
    expect(await deploymentSlots(server.database, deploymentId)).toEqual(heldBy(1));
  });

  it("DeleteFlow frees the slots its runs hold on a limit another flow's tasks share", async () => {
    const tag = "shared-by-flows";
    await insertTagLimitV2(server.database, tag, 1);
    const doomedRun = await tasks.newFlowRun();
    const doomedFlowId = (await flows.get(doomedRun)).flowId;
    const holder = await tasks.newTask({ flowRunId: doomedRun, tags: [tag] });
    expect((await tasks.propose(holder.id, { type: StateType.RUNNING })).status).toBe(
      SetStateStatus.ACCEPT,
    );
    const other = await tasks.newTask({ flowRunId: await tasks.newFlowRun(), tags: [tag] });
    expect((await tasks.propose(other.id, { type: StateType.RUNNING })).status).toBe(
      SetStateStatus.WAIT,
    );

    await server.client(FlowService).deleteFlow({ flowId: doomedFlowId });
    expect(await tagSlotsV2(server.database, tag)).toEqual(heldBy(0));
    expect((await tasks.propose(other.id, { type: StateType.RUNNING })).status).toBe(
      SetStateStatus.ACCEPT,
    );
  });
});

describe("deleting a tag-slot holder", () => {
  it("DeleteTaskRun of a RUNNING holder of a V2 tag limit frees its lease and slot", async () => {
    const tag = "v2-single";
    await insertTagLimitV2(server.database, tag, 1);
    const flowRunId = await tasks.newFlowRun();
    const a = await tasks.newTask({ flowRunId, tags: [tag] });
    const b = await tasks.newTask({ flowRunId, tags: [tag] });
    expect((await tasks.propose(a.id, { type: StateType.RUNNING })).status).toBe(
      SetStateStatus.ACCEPT,
    );
    expect((await tasks.propose(b.id, { type: StateType.RUNNING })).status).toBe(
      SetStateStatus.WAIT,
    );

    await tasks.tasks.deleteTaskRun({ taskRunId: a.id });
    expect(await tagSlotsV2(server.database, tag)).toEqual(heldBy(0));
    expect((await tasks.propose(b.id, { type: StateType.RUNNING })).status).toBe(
      SetStateStatus.ACCEPT,
    );
    expect(await tagSlotsV2(server.database, tag)).toEqual(heldBy(1));
  });

  // V1 holder rows always went with the task run (foreign-key cascade): kept as coverage.
  it("DeleteTaskRun of a RUNNING holder of a V1 tag limit frees its slot", async () => {
    const tag = "v1-single";
    await tasks.limits.createConcurrencyLimit({ tag, concurrencyLimit: 1 });
    const flowRunId = await tasks.newFlowRun();
    const a = await tasks.newTask({ flowRunId, tags: [tag] });
    const b = await tasks.newTask({ flowRunId, tags: [tag] });
    await tasks.propose(a.id, { type: StateType.RUNNING });
    expect((await tasks.propose(b.id, { type: StateType.RUNNING })).status).toBe(
      SetStateStatus.WAIT,
    );

    await tasks.tasks.deleteTaskRun({ taskRunId: a.id });
    expect((await tasks.propose(b.id, { type: StateType.RUNNING })).status).toBe(
      SetStateStatus.ACCEPT,
    );
    const limit = (await tasks.limits.getConcurrencyLimit({ tag })).concurrencyLimit!;
    expect(limit.activeSlots).toEqual([b.id]);
  });

  it("DeleteFlowRun frees the tag slots of its task runs", async () => {
    const tag = "v2-under-a-flow-run";
    await insertTagLimitV2(server.database, tag, 1);
    const doomed = await tasks.newFlowRun();
    const holder = await tasks.newTask({ flowRunId: doomed, tags: [tag] });
    await tasks.propose(holder.id, { type: StateType.RUNNING });
    const waiting = await tasks.newTask({ flowRunId: await tasks.newFlowRun(), tags: [tag] });
    expect((await tasks.propose(waiting.id, { type: StateType.RUNNING })).status).toBe(
      SetStateStatus.WAIT,
    );

    await flows.runs.deleteFlowRun({ flowRunId: doomed });
    expect((await tasks.propose(waiting.id, { type: StateType.RUNNING })).status).toBe(
      SetStateStatus.ACCEPT,
    );
    expect(await tagSlotsV2(server.database, tag)).toEqual(heldBy(1));
  });
});
