/**
 * Each state keeps the decision that wrote it (policy, rules fired and fizzled, rejection),
 * stored in the state row's own insert and read back through ListFlowRunStates /
 * ListTaskRunStates. Driven through the TypeScript client.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createFlowgateClient,
  type FlowgateClient,
  SetStateStatus,
  StateType,
} from "../../src/client/index.ts";
import { cliFor } from "../support/cli.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

let server: TestServer;
let client: FlowgateClient;
beforeAll(async () => {
  server = await startTestServer({ FLOWGATE_BACKGROUND_SERVICES: "false" });
  client = createFlowgateClient({ address: server.address });
});
afterAll(async () => {
  client.close();
  await server.stop();
});

async function newFlowRun(retries = 0) {
  const { flow } = await client.flows.createFlow({ name: `flow-${crypto.randomUUID()}` });
  return (await client.flowRuns.createFlowRun({ flowId: flow!.id, empiricalPolicy: { retries } }))
    .flowRun!.id;
}

describe("flow-run history", () => {
  it("says which policy and rules made each state, and why a proposal was rejected", async () => {
    const flowRunId = await newFlowRun(1);
    const propose = async (type: StateType) =>
      (await client.flowRuns.setFlowRunState({ flowRunId, state: { type } })).result!;
    await propose(StateType.RUNNING);
    const retry = await propose(StateType.FAILED);
    expect(retry.status).toBe(SetStateStatus.REJECT);

    const { states } = await client.flowRuns.listFlowRunStates({ flowRunId });
    expect(states.map((state) => state.decision)).toEqual([
      expect.objectContaining({
        policy: "CreateFlowRunPolicy",
        firedRules: ["InstrumentFlowRunStateTransitions", "ReleaseFlowConcurrencySlots"],
        fizzledRules: [],
        rejected: false,
        reason: "",
      }),
      expect.objectContaining({
        policy: "CoreFlowPolicy",
        firedRules: expect.arrayContaining(["PreventDuplicateTransitions", "WaitForScheduledTime"]),
        rejected: false,
      }),
      expect.objectContaining({
        policy: "CoreFlowPolicy",
        firedRules: expect.arrayContaining(["RetryFailedFlows"]),
        fizzledRules: ["PreventDuplicateTransitions"],
        rejected: true,
        reason: "Retrying",
      }),
    ]);
    // The answer and the history agree, and the context's fizzled rules are the same ones.
    expect(retry.state?.decision).toEqual(states[2]!.decision);
    expect(retry.context?.fizzledRules).toEqual(["PreventDuplicateTransitions"]);
    // Global transforms run on every transition and are not listed.
    expect(states[2]!.decision!.firedRules).not.toContain("SetRunStateType");
  });

  it("is written in the state row itself, and a forced transition names the minimal policy", async () => {
    const flowRunId = await newFlowRun();
    await client.flowRuns.setFlowRunState({
      flowRunId,
      state: { type: StateType.COMPLETED },
      force: true,
    });
    const rows = await server.database.query<{ name: string; decision: { policy: string } }>(
      `select name, decision from flow_run_state where flow_run_id = $1 order by "timestamp"`,
      [flowRunId],
    );
    expect(rows.map((row) => [row.name, row.decision.policy])).toEqual([
      ["Pending", "CreateFlowRunPolicy"],
      ["Completed", "MinimalFlowPolicy"],
    ]);
  });

  it("leaves the decision unset for states written before decisions were kept", async () => {
    const flowRunId = await newFlowRun();
    await server.database.query(
      `update flow_run_state set decision = null where flow_run_id = $1`,
      [flowRunId],
    );
    const { states } = await client.flowRuns.listFlowRunStates({ flowRunId });
    expect(states[0]!.decision).toBeUndefined();
    const shown = await cliFor(server.address).run("runs", "show", flowRunId);
    expect(shown.stdout).toMatch(/ 1 {2}.*PENDING\s+\(decision not recorded\)$/m);
  });
});

describe("task-run history", () => {
  it("records a cache hit as a rejection into the cached state", async () => {
    const { flow } = await client.flows.createFlow({ name: `flow-${crypto.randomUUID()}` });
    const { flowRun } = await client.flowRuns.createFlowRun({ flowId: flow!.id });
    const flowRunId = flowRun!.id;
    await client.flowRuns.setFlowRunState({ flowRunId, state: { type: StateType.RUNNING } });
    const cacheKey = `k-${crypto.randomUUID()}`;
    const task = async () =>
      (await client.taskRuns.createTaskRun({ flowRunId, taskKey: crypto.randomUUID() })).taskRun!
        .id;
    const first = await task();
    for (const type of [StateType.RUNNING, StateType.COMPLETED]) {
      await client.taskRuns.setTaskRunState({
        taskRunId: first,
        state: { type, stateDetails: { cacheKey } },
      });
    }
    const second = await task();
    await client.taskRuns.setTaskRunState({
      taskRunId: second,
      state: { type: StateType.RUNNING, stateDetails: { cacheKey } },
    });

    const { states } = await client.taskRuns.listTaskRunStates({ taskRunId: second });
    expect(states.map((state) => state.name)).toEqual(["Pending", "Cached"]);
    expect(states[1]!.decision).toMatchObject({
      policy: "CoreTaskPolicy",
      firedRules: expect.arrayContaining(["CacheRetrieval"]),
      rejected: true,
      reason: "Retrieved state from cache",
    });
  });
});
