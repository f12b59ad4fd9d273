import { afterAll, beforeAll, expect, it } from "vitest";
import type { BackgroundQueries, TaskRunInState } from "../../../src/application/background.ts";
import type { StateInit } from "../../../src/domain/index.ts";
import { CancellationCleanup, PARENT_CANCELLED_MESSAGE } from "../../../src/services/index.ts";
import { type Bench, log, openBench } from "./support.ts";
import { type TaskBench, taskBench } from "./task-support.ts";

let bench: Bench;
let tasks: TaskBench;
let service: CancellationCleanup;
beforeAll(async () => {
  bench = await openBench();
  tasks = taskBench(bench);
  service = cleanup(bench.queries);
});
afterAll(() => bench.close());

function cleanup(queries: BackgroundQueries): CancellationCleanup {
  return new CancellationCleanup({
    flowRuns: bench.flowRuns,
    taskRuns: tasks.taskRuns,
    queries,
    locks: bench.newLocks(),
    log,
    loopSeconds: 20,
  });
}

const RUNNING: StateInit = { type: "RUNNING" };

async function cancel(flowRunId: string): Promise<void> {
  bench.clock.advance(1);
  const result = await bench.flowRuns.setState({
    flowRunId,
    state: { type: "CANCELLED" },
    force: true,
  });
  expect(result.status).toBe("ACCEPT");
}

async function flowMessage(stateId: string): Promise<string | null> {
  const [row] = await bench.db.query<{ message: string | null }>(
    "select message from flow_run_state where id = $1",
    [stateId],
  );
  return row?.message ?? null;
}

it("cancels the unfinished task runs of a cancelled flow run, with the message, and frees their tag slots", async () => {
  const tag = `cleanup-${crypto.randomUUID()}`;
  await tasks.tagLimits.create(tag, 5);
  const flowRun = await bench.newRun(RUNNING);
  const running = await tasks.newTask(flowRun, { type: "PENDING" }, [tag]);
  expect((await tasks.propose(running, RUNNING)).status).toBe("ACCEPT");
  const pending = await tasks.newTask(flowRun, { type: "PENDING" });
  const completed = await tasks.newTask(flowRun, RUNNING);
  expect((await tasks.propose(completed, { type: "COMPLETED" })).status).toBe("ACCEPT");
  const completedBefore = await tasks.task(completed);
  // A live flow run's tasks are not touched.
  const otherFlowRun = await bench.newRun(RUNNING);
  const bystander = await tasks.newTask(otherFlowRun, RUNNING);
  expect((await tasks.tagLimits.get(tag)).activeSlots).toEqual([running]);

  expect(await service.runOnce()).toEqual({ status: "ran", processed: 0 }); // nothing cancelled yet
  await cancel(flowRun);
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 2 });

  for (const id of [running, pending]) {
    expect(await tasks.task(id)).toMatchObject({
      state_type: "CANCELLED",
      state_name: "Cancelled",
      message: PARENT_CANCELLED_MESSAGE,
    });
  }
  expect(await tasks.task(completed)).toEqual(completedBefore);
  expect(await tasks.task(bystander)).toMatchObject({ state_type: "RUNNING" });
  // Forced CANCELLED goes through MinimalTaskPolicy, whose ReleaseTaskConcurrencySlots frees the slot.
  expect((await tasks.tagLimits.get(tag)).activeSlots).toEqual([]);

  expect(await service.runOnce()).toEqual({ status: "ran", processed: 0 });
});

it("asks a deployed subflow to cancel, cancels the others, and leaves a deployed subflow already CANCELLING alone", async () => {
  const parent = await bench.newRun(RUNNING);
  const { flowId, deploymentId } = await bench.newDeployment(10);
  const deployed = { flowId, deploymentId, infrastructurePid: "pid-7" };
  const parentTask = () => tasks.newTask(parent, RUNNING);

  const deployedSubflow = await bench.newRun(RUNNING, {
    ...deployed,
    parentTaskRunId: await parentTask(),
  });
  const localSubflow = await bench.newRun(RUNNING, { parentTaskRunId: await parentTask() });
  const localSubflowTask = await tasks.newTask(localSubflow, RUNNING);
  const alreadyCancelling = await bench.newRun(RUNNING, {
    ...deployed,
    parentTaskRunId: await parentTask(),
  });
  bench.clock.advance(1);
  await bench.flowRuns.setState({
    flowRunId: alreadyCancelling,
    state: { type: "CANCELLING" },
    force: true,
  });
  const cancellingBefore = await bench.run(alreadyCancelling);
  // Scheduled without infrastructure: BypassCancellingFlowRunsWithNoInfra (Minimal policy) cancels it.
  const scheduledDeployed = await bench.newRun(
    { type: "SCHEDULED", stateDetails: { scheduledTime: bench.clock.fromNow(3600) } },
    { flowId, deploymentId, parentTaskRunId: await parentTask() },
  );
  const finished = await bench.newRun(RUNNING, { parentTaskRunId: await parentTask() });
  bench.clock.advance(1);
  await bench.flowRuns.setState({ flowRunId: finished, state: { type: "COMPLETED" }, force: true });
  const finishedBefore = await bench.run(finished);

  await cancel(parent);
  const tick = await service.runOnce();
  expect(tick.status).toBe("ran");

  const deployedAfter = await bench.run(deployedSubflow);
  expect(deployedAfter).toMatchObject({ state_type: "CANCELLING", state_name: "Cancelling" });
  expect(await flowMessage(deployedAfter.state_id)).toBe(PARENT_CANCELLED_MESSAGE);
  const localAfter = await bench.run(localSubflow);
  expect(localAfter).toMatchObject({ state_type: "CANCELLED", state_name: "Cancelled" });
  expect(await flowMessage(localAfter.state_id)).toBe(PARENT_CANCELLED_MESSAGE);
  expect(await bench.run(alreadyCancelling)).toEqual(cancellingBefore);
  expect(await bench.run(scheduledDeployed)).toMatchObject({ state_type: "CANCELLED" });
  expect(await bench.run(finished)).toEqual(finishedBefore);
  // The cancelled local subflow's own task is cleaned up in the same tick (subflows go first).
  expect(await tasks.task(localSubflowTask)).toMatchObject({
    state_type: "CANCELLED",
    message: PARENT_CANCELLED_MESSAGE,
  });
  // Every task run of the cancelled parent ends terminal, including the subflows' parent tasks.
  const open = await bench.db.query(
    `select id from task_run where flow_run_id = $1
       and state_type not in ('COMPLETED', 'CANCELLED', 'FAILED', 'CRASHED')`,
    [parent],
  );
  expect(open).toEqual([]);

  // Nothing left to do: the deployed subflow waits for its worker (or the CANCELLING timeout).
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 0 });
  expect(await bench.run(deployedSubflow)).toEqual(deployedAfter);
});

it("drops a task-run candidate whose state changed after it was selected", async () => {
  const flowRun = await bench.newRun(RUNNING);
  const taskRun = await tasks.newTask(flowRun, RUNNING);
  await cancel(flowRun);
  const selected = await bench.queries.findTaskRunsOfCancelledFlowRuns(200);
  expect(selected.map((c) => c.taskRunId)).toContain(taskRun);

  // The worker moves the task on between selection and proposal.
  bench.clock.advance(1);
  await tasks.taskRuns.setState({ taskRunId: taskRun, state: { type: "PENDING" }, force: true });
  const moved = await tasks.task(taskRun);

  const stale: BackgroundQueries = {
    findLateRuns: (...args) => bench.queries.findLateRuns(...args),
    findExpiredPauses: (...args) => bench.queries.findExpiredPauses(...args),
    findStaleCancelling: (...args) => bench.queries.findStaleCancelling(...args),
    findSubflowsOfCancelledFlowRuns: (limit) =>
      bench.queries.findSubflowsOfCancelledFlowRuns(limit),
    findTaskRunsOfCancelledFlowRuns: async (): Promise<TaskRunInState[]> =>
      selected.filter((c) => c.taskRunId === taskRun),
  };
  expect(await cleanup(stale).runOnce()).toEqual({ status: "ran", processed: 0 });
  expect(await tasks.task(taskRun)).toEqual(moved);

  // A fresh selection sees the new state and cancels it.
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 1 });
  expect(await tasks.task(taskRun)).toMatchObject({ state_type: "CANCELLED" });
});
