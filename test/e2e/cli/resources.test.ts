/**
 * `flowgate flows|tasks|limits|deployments …` against a real server with authentication on,
 * spawned as a user runs it: tables, JSON, task histories, tag slots and their holders.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlowgateClient, type FlowgateClient, StateType } from "../../../src/client/index.ts";
import { cliFor } from "../../support/cli.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";

const TOKEN = "cli-test-token";
let server: TestServer;
let client: FlowgateClient;
let cli: ReturnType<typeof cliFor>;
beforeAll(async () => {
  server = await startTestServer({
    FLOWGATE_BACKGROUND_SERVICES: "false",
    FLOWGATE_AUTH_TOKENS: TOKEN,
  });
  client = createFlowgateClient({ address: server.address, token: TOKEN });
  cli = cliFor(server.address, { FLOWGATE_TOKEN: TOKEN });
});
afterAll(async () => {
  client.close();
  await server.stop();
});

async function newFlow(name = `etl-${crypto.randomUUID()}`) {
  return (await client.flows.createFlow({ name, tags: ["nightly"] })).flow!;
}

describe("authentication", () => {
  it("sends FLOWGATE_TOKEN or --token; without one the call is UNAUTHENTICATED", async () => {
    const anonymous = cliFor(server.address);
    const refused = await anonymous.run("flows", "list");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe("flowgate: UNAUTHENTICATED missing bearer token\n");
    expect((await anonymous.run("--token", TOKEN, "flows", "list")).code).toBe(0);
    expect((await cli.run("flows", "list")).code).toBe(0);
  });
});

describe("flows", () => {
  it("list and get", async () => {
    const flow = await newFlow();
    const listed = await cli.run("flows", "list");
    expect(listed.stdout.split("\n")[0]).toMatch(/^ID\s+NAME\s+TAGS\s+CREATED$/);
    expect(listed.stdout).toMatch(new RegExp(`${flow.id}\\s+${flow.name}\\s+nightly\\s+`));

    const got = await cli.run("flows", "get", flow.id);
    expect(got.stdout).toMatch(new RegExp(`^id\\s+${flow.id}\\nname\\s+${flow.name}\\n`));
    const json = await cli.json<{ id: string; name: string }>("flows", "get", flow.id);
    expect(json).toMatchObject({ id: flow.id, name: flow.name });
  });
});

describe("tasks and limits", () => {
  it("list, show with history, and a tag limit's slots with their holders", async () => {
    const tag = `db-${crypto.randomUUID()}`;
    await client.concurrencyLimits.createConcurrencyLimit({ tag, concurrencyLimit: 1 });
    const flow = await newFlow();
    const { flowRun } = await client.flowRuns.createFlowRun({ flowId: flow.id });
    await client.flowRuns.setFlowRunState({
      flowRunId: flowRun!.id,
      state: { type: StateType.RUNNING },
    });
    const task = async (taskKey: string) => {
      const { taskRun } = await client.taskRuns.createTaskRun({
        flowRunId: flowRun!.id,
        taskKey,
        tags: [tag],
      });
      const { result } = await client.taskRuns.setTaskRunState({
        taskRunId: taskRun!.id,
        state: { type: StateType.RUNNING },
      });
      return { id: taskRun!.id, status: result!.status };
    };
    const holder = await task("extract");
    const waiter = await task("load"); // the limit is full: WAIT, nothing written

    const listed = await cli.run("tasks", "list", "--flow-run", flowRun!.id);
    expect(listed.stdout).toMatch(new RegExp(`${holder.id}\\s+extract\\s+extract\\s+RUNNING\\s+1`));
    expect(listed.stdout).toMatch(new RegExp(`${waiter.id}\\s+load\\s+load\\s+PENDING\\s+0`));
    const running = await cli.json<{ taskRuns: { id: string }[] }>(
      "tasks",
      "list",
      "--flow-run",
      flowRun!.id,
      "--state",
      "RUNNING",
    );
    expect(running.taskRuns.map((run) => run.id)).toEqual([holder.id]);

    const shown = await cli.run("tasks", "show", holder.id);
    expect(shown.stdout).toMatch(/tags\s+db-/);
    expect(shown.stdout).toMatch(/ 1 {2}.*PENDING\s+accepted by MinimalTaskPolicy/);
    expect(shown.stdout).toMatch(/ 2 {2}.*RUNNING\s+accepted by CoreTaskPolicy/);
    expect(shown.stdout).toMatch(/fired\s+.*SecureTaskConcurrencySlots/s);

    const limits = await cli.run("limits", "list");
    expect(limits.stdout).toMatch(new RegExp(`${tag}\\s+1\\s+1\\s+`));
    const limit = await cli.run("limits", "show", tag);
    expect(limit.stdout).toContain("Holders (1 of 1 slots):");
    expect(limit.stdout).toMatch(
      new RegExp(`${holder.id}\\s+extract\\s+RUNNING\\s+${flowRun!.id}`),
    );
    const json = await cli.json<{ activeSlots: string[] }>("limits", "show", tag);
    expect(json.activeSlots).toEqual([holder.id]);
  });

  it("tasks watch ends at a final state", async () => {
    const { taskRun } = await client.taskRuns.createTaskRun({ taskKey: `t-${Date.now()}` });
    const watching = cli.start("tasks", "watch", taskRun!.id, "--output", "json");
    await watching.firstLine;
    for (const type of [StateType.RUNNING, StateType.COMPLETED]) {
      await client.taskRuns.setTaskRunState({ taskRunId: taskRun!.id, state: { type } });
    }
    const watched = await watching.result;
    expect(watched.code).toBe(0);
    const states = watched.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; decision: { policy: string } });
    expect(states.map((state) => state.type)).toEqual([
      "STATE_TYPE_PENDING",
      "STATE_TYPE_RUNNING",
      "STATE_TYPE_COMPLETED",
    ]);
    expect(states[2]!.decision.policy).toBe("CoreTaskPolicy");
  });
});

describe("deployments", () => {
  it("list (all, or of one flow) and show", async () => {
    const flow = await newFlow();
    const other = await newFlow();
    const { deployment } = await client.deployments.createDeployment({
      flowId: flow.id,
      name: "prod",
      concurrencyLimit: 2,
    });
    await client.deployments.createDeployment({ flowId: other.id, name: "staging" });

    const all = await cli.run("deployments", "list");
    expect(all.stdout).toMatch(
      new RegExp(`${deployment!.id}\\s+prod\\s+${flow.id}\\s+2\\s+enqueue`),
    );
    expect(all.stdout).toContain("staging");
    const mine = await cli.json<{ deployments: { id: string }[] }>(
      "deployments",
      "list",
      "--flow",
      flow.id,
    );
    expect(mine.deployments.map((d) => d.id)).toEqual([deployment!.id]);

    const shown = await cli.run("deployments", "show", deployment!.id);
    expect(shown.stdout).toMatch(/limit\s+2\n/);
    expect(shown.stdout).toMatch(/grace period\s+server default/);
  });
});
