/** SetTaskRunState over gRPC on PostgreSQL: §6 task traces, races, tag limits, errors. */
import { Code, type ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SetStateStatus } from "../../../gen/flowgate/v1/orchestration_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { reasonOf } from "../../support/flow-runs.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";
import { taskRunHelpers } from "../../support/task-runs.ts";

let server: TestServer;
let h: ReturnType<typeof taskRunHelpers>;
beforeAll(async () => {
  server = await startTestServer();
  h = taskRunHelpers(server);
});
afterAll(() => server.stop());

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => Code.Unknown,
    (e: ConnectError) => e.code,
  );

describe("task retry (retries=2, retry_delay=[2,3])", () => {
  it("retries twice with the listed delays, then accepts the third failure", async () => {
    const flowRunId = await h.newFlowRun();
    const task = await h.newTask({
      flowRunId,
      empiricalPolicy: { retries: 2, retryDelay: [2, 3] },
    });
    await h.propose(task.id, { type: StateType.RUNNING });
    const first = await h.propose(task.id, { type: StateType.FAILED });
    expect(first.status).toBe(SetStateStatus.REJECT);
    expect(first.state?.name).toBe("AwaitingRetry");
    const scheduled = Number(first.state!.stateDetails!.scheduledTime!.seconds) * 1000;
    expect(scheduled - Number(first.state!.timestamp!.seconds) * 1000).toBeGreaterThanOrEqual(1000);
    const rerun = await h.propose(task.id, { type: StateType.RUNNING }, true);
    expect(rerun.status).toBe(SetStateStatus.ACCEPT);
    expect((await h.tasks.getTaskRun({ taskRunId: task.id })).taskRun?.runCount).toBe(2);
    expect((await h.propose(task.id, { type: StateType.FAILED })).state?.name).toBe(
      "AwaitingRetry",
    );
    await h.propose(task.id, { type: StateType.RUNNING }, true);
    const final = await h.propose(task.id, { type: StateType.FAILED });
    expect(final.status).toBe(SetStateStatus.ACCEPT);
    expect((await h.tasks.getTaskRun({ taskRunId: task.id })).taskRun?.runCount).toBe(3);
  });
});

describe("cache hit", () => {
  it("answers a second task with the first one's cached COMPLETED state", async () => {
    const flowRunId = await h.newFlowRun();
    const a = await h.newTask({ flowRunId });
    await h.propose(a.id, { type: StateType.RUNNING });
    const done = await h.propose(a.id, {
      type: StateType.COMPLETED,
      stateDetails: { cacheKey: "k-1" },
      data: { kind: { case: "stringValue", value: "result" } },
    });
    expect(done.status).toBe(SetStateStatus.ACCEPT);
    const b = await h.newTask({ flowRunId });
    const hit = await h.propose(b.id, {
      type: StateType.RUNNING,
      stateDetails: { cacheKey: "k-1" },
    });
    expect(hit.status).toBe(SetStateStatus.REJECT);
    expect(hit.state?.type).toBe(StateType.COMPLETED);
    expect(hit.state?.name).toBe("Cached");
    expect(hit.state?.data?.kind).toEqual({ case: "stringValue", value: "result" });
    const after = (await h.tasks.getTaskRun({ taskRunId: b.id })).taskRun!;
    expect(after.runCount).toBe(0);
    expect(after.endTime).toBeDefined();
  });
});

describe("races", () => {
  it("accepts exactly one of 50 concurrent PENDING → RUNNING replays of one task run", async () => {
    const task = await h.newTask({ flowRunId: await h.newFlowRun() });
    const proposal = { type: StateType.RUNNING, stateDetails: { transitionId: "t-run" } };
    const results = await Promise.all(
      Array.from({ length: 50 }, () => h.propose(task.id, proposal)),
    );
    expect(results.filter((r) => r.status === SetStateStatus.ACCEPT)).toHaveLength(1);
    const rows = await server.database.query(
      "select 1 from task_run_state where task_run_id = $1",
      [task.id],
    );
    expect(rows).toHaveLength(2);
    expect((await h.tasks.getTaskRun({ taskRunId: task.id })).taskRun?.runCount).toBe(1);
  });

  it("lets at most 3 of 60 tasks hold a tag limit of 3, and active slots == holders", async () => {
    await h.limits.createConcurrencyLimit({ tag: "gpu", concurrencyLimit: 3 });
    const flowRunId = await h.newFlowRun();
    const tasks = await Promise.all(
      Array.from({ length: 60 }, () => h.newTask({ flowRunId, tags: ["gpu"] })),
    );
    const results = await Promise.all(
      tasks.map((t) => h.propose(t.id, { type: StateType.RUNNING })),
    );
    const running = results.filter((r) => r.status === SetStateStatus.ACCEPT);
    expect(running).toHaveLength(3);
    for (const waiting of results.filter((r) => r.status !== SetStateStatus.ACCEPT)) {
      expect(waiting.status).toBe(SetStateStatus.WAIT);
    }
    const limit = (await h.limits.getConcurrencyLimit({ tag: "gpu" })).concurrencyLimit!;
    const holders = tasks
      .filter((_, i) => results[i]!.status === SetStateStatus.ACCEPT)
      .map((t) => t.id);
    expect([...limit.activeSlots].sort()).toEqual([...holders].sort());
    // Holders finish; their slots are released.
    await Promise.all(holders.map((id) => h.propose(id, { type: StateType.COMPLETED })));
    expect(
      (await h.limits.getConcurrencyLimit({ tag: "gpu" })).concurrencyLimit?.activeSlots,
    ).toEqual([]);
  });
});

describe("tag limits API", () => {
  it("upserts on tag, resets with an override, and deletes", async () => {
    await h.limits.createConcurrencyLimit({ tag: "db", concurrencyLimit: 1 });
    const updated = await h.limits.createConcurrencyLimit({ tag: "db", concurrencyLimit: 5 });
    expect(updated.concurrencyLimit?.concurrencyLimit).toBe(5);
    const task = await h.newTask({ flowRunId: await h.newFlowRun(), tags: ["db"] });
    const reset = await h.limits.resetConcurrencyLimit({ tag: "db", slotOverride: [task.id] });
    expect(reset.concurrencyLimit?.activeSlots).toEqual([task.id]);
    expect(
      (await h.limits.resetConcurrencyLimit({ tag: "db" })).concurrencyLimit?.activeSlots,
    ).toEqual([]);
    const listed = await h.limits.listConcurrencyLimits({});
    expect(listed.concurrencyLimits.map((l) => l.tag)).toContain("db");
    await h.limits.deleteConcurrencyLimit({ tag: "db" });
    expect(await code(h.limits.getConcurrencyLimit({ tag: "db" }))).toBe(Code.NotFound);
  });
});

describe("errors and creation", () => {
  it("is idempotent on (flow_run_id, task_key, dynamic_key)", async () => {
    const flowRunId = await h.newFlowRun();
    const a = await h.tasks.createTaskRun({ flowRunId, taskKey: "t", dynamicKey: "0" });
    const b = await h.tasks.createTaskRun({ flowRunId, taskKey: "t", dynamicKey: "0" });
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.taskRun?.id).toBe(a.taskRun?.id);
  });

  it("answers NOT_FOUND and INVALID_ARGUMENT with the field", async () => {
    const unknown = "00000000-0000-4000-8000-000000000000";
    expect(await code(h.tasks.getTaskRun({ taskRunId: unknown }))).toBe(Code.NotFound);
    expect(await code(h.propose(unknown, { type: StateType.RUNNING }))).toBe(Code.NotFound);
    expect(await code(h.tasks.createTaskRun({ flowRunId: unknown, taskKey: "t" }))).toBe(
      Code.NotFound,
    );
    const tooMany = await h.tasks
      .createTaskRun({
        taskKey: "t",
        empiricalPolicy: { retryDelay: Array.from({ length: 51 }, () => 1) },
      })
      .catch((e: ConnectError) => e);
    expect((tooMany as ConnectError).code).toBe(Code.InvalidArgument);
    expect((tooMany as ConnectError).rawMessage).toContain(
      "Can not configure more than 50 retry delays per task.",
    );
    const jitter = await h.tasks
      .createTaskRun({ taskKey: "t", empiricalPolicy: { retryJitterFactor: -1 } })
      .catch((e: ConnectError) => e);
    expect((jitter as ConnectError).rawMessage).toContain("empirical_policy.retry_jitter_factor");
  });

  it("runs an autonomous task run without a flow run", async () => {
    const task = await h.newTask({});
    const result = await h.propose(task.id, { type: StateType.RUNNING });
    expect(result.status).toBe(SetStateStatus.ACCEPT);
    expect(reasonOf(result)).toBe("");
  });
});
