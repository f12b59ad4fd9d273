/**
 * `flowgate runs …` against a real server, spawned as a user runs it: the orchestration
 * outcomes and their exit codes, dry runs that explain and write nothing, the history with
 * the decision behind each state, filters, watching, and one-line errors.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlowgateClient, type FlowgateClient, StateType } from "../../../src/client/index.ts";
import { cliFor, runFlowgate } from "../../support/cli.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";

let server: TestServer;
let client: FlowgateClient;
let cli: ReturnType<typeof cliFor>;
beforeAll(async () => {
  server = await startTestServer({ FLOWGATE_BACKGROUND_SERVICES: "false" });
  client = createFlowgateClient({ address: server.address });
  cli = cliFor(server.address);
});
afterAll(async () => {
  client.close();
  await server.stop();
});

async function newRun(retries = 0) {
  const { flow } = await client.flows.createFlow({ name: `etl-${crypto.randomUUID()}` });
  const { flowRun } = await client.flowRuns.createFlowRun({
    flowId: flow!.id,
    empiricalPolicy: { retries },
  });
  return { flowId: flow!.id, runId: flowRun!.id };
}

async function stateCount(runId: string) {
  return (await client.flowRuns.listFlowRunStates({ flowRunId: runId })).states.length;
}

describe("runs set-state", () => {
  it("exits 0 on ACCEPT, 5 on ABORT, 3 on REJECT, each with its reason", async () => {
    const { runId } = await newRun(1);

    const accept = await cli.run("runs", "set-state", runId, "running");
    expect(accept).toMatchObject({ code: 0, stderr: "" });
    expect(accept.stdout).toContain("ACCEPT\nThe run is now in RUNNING.");

    const abort = await cli.run("runs", "set-state", runId, "PENDING");
    expect(abort.code).toBe(5);
    expect(abort.stdout).toContain(
      "ABORT: This run is in a RUNNING state and cannot transition to a PENDING state.",
    );
    expect(abort.stdout).toContain("The run stays in RUNNING.");

    const reject = await cli.run("runs", "set-state", runId, "FAILED", "--message", "boom");
    expect(reject.code).toBe(3);
    expect(reject.stdout).toContain(
      "REJECT: Retrying\nThe run is now in SCHEDULED (AwaitingRetry).",
    );
  });

  it("exits 4 on WAIT, with the delay", async () => {
    const { flowId } = await newRun();
    const { flowRun } = await client.flowRuns.createFlowRun({
      flowId,
      state: {
        type: StateType.SCHEDULED,
        stateDetails: { scheduledTime: timestampFromDate(new Date(Date.now() + 3600_000)) },
      },
    });
    const wait = await cli.run("runs", "set-state", flowRun!.id, "RUNNING");
    expect(wait.code).toBe(4);
    expect(wait.stdout).toMatch(/^WAIT \(retry in 3\d{3}s\): /);
  });

  it("--dry-run explains what would happen and why, and writes nothing", async () => {
    const { runId } = await newRun(1);
    await cli.run("runs", "set-state", runId, "RUNNING");
    const before = await stateCount(runId);

    const dry = await cli.run("runs", "set-state", runId, "FAILED", "--dry-run");
    expect(dry.code).toBe(3);
    expect(dry.stdout).toContain("Dry run: nothing was written.\nWould REJECT: Retrying");
    expect(dry.stdout).toContain("The run would go to SCHEDULED (AwaitingRetry).");
    expect(dry.stdout).toMatch(/policy\s+CoreFlowPolicy/);
    expect(dry.stdout).toMatch(/rules fired\s+.*RetryFailedFlows/s);
    expect(dry.stdout).toMatch(/rules fizzled\s+PreventDuplicateTransitions/);
    expect(await stateCount(runId)).toBe(before);

    const forced = await cli.json<{ result: { status: string; context: { policy: string } } }>(
      "runs",
      "set-state",
      runId,
      "PENDING",
      "--dry-run",
      "--force",
    );
    expect(forced.result.status).toBe("SET_STATE_STATUS_ACCEPT");
    expect(forced.result.context.policy).toBe("MinimalFlowPolicy");
    expect(await stateCount(runId)).toBe(before);
  });
});

describe("runs show", () => {
  it("prints the run and a timeline with the rules that fired and fizzled", async () => {
    const { runId } = await newRun(1);
    for (const type of ["RUNNING", "FAILED"]) await cli.run("runs", "set-state", runId, type);

    const shown = await cli.run("runs", "show", runId);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`flow run\\s+${runId}`));
    expect(shown.stdout).toMatch(/state\s+SCHEDULED \(AwaitingRetry\) since /);
    const history = shown.stdout.slice(shown.stdout.indexOf("History (oldest first):"));
    const lines = history.split("\n");
    expect(lines.find((line) => line.includes(" 1  "))).toMatch(
      /PENDING\s+accepted by CreateFlowRunPolicy$/,
    );
    expect(lines.find((line) => line.includes(" 2  "))).toMatch(
      /RUNNING\s+accepted by CoreFlowPolicy$/,
    );
    expect(lines.find((line) => line.includes(" 3  "))).toMatch(
      /SCHEDULED \(AwaitingRetry\)\s+rejected by CoreFlowPolicy: Retrying$/,
    );
    expect(history).toMatch(/fizzled\s+PreventDuplicateTransitions/);

    const json = await cli.json<{
      flowRun: { id: string };
      states: { name: string; decision?: { rejected?: boolean; fizzledRules?: string[] } }[];
    }>("runs", "show", runId);
    expect(json.flowRun.id).toBe(runId);
    expect(json.states.map((state) => state.name)).toEqual(["Pending", "Running", "AwaitingRetry"]);
    expect(json.states[2]!.decision).toMatchObject({
      rejected: true,
      fizzledRules: ["PreventDuplicateTransitions"],
    });
  });
});

describe("runs list", () => {
  it("filters by flow and state, as a table or as JSON", async () => {
    const { flowId, runId: running } = await newRun();
    const { flowRun: pending } = await client.flowRuns.createFlowRun({ flowId });
    await client.flowRuns.setFlowRunState({
      flowRunId: running,
      state: { type: StateType.RUNNING },
    });

    const table = await cli.run("runs", "list", "--flow", flowId);
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^ID\s+NAME\s+STATE\s+RUNS\s+STARTED\s+CREATED$/);
    expect(table.stdout).toContain(running);
    expect(table.stdout).toContain(pending!.id);

    const onlyRunning = await cli.json<{ flowRuns: { id: string }[] }>(
      "runs",
      "list",
      "--flow",
      flowId,
      "--state",
      "running,completed",
    );
    expect(onlyRunning.flowRuns.map((run) => run.id)).toEqual([running]);

    const limited = await cli.run("runs", "list", "--flow", flowId, "--limit", "1");
    expect(limited.stdout.trim().split("\n")).toHaveLength(2);
    expect(limited.stderr).toContain("raise --limit");
  });
});

describe("runs watch", () => {
  it("prints each committed state with its decision and ends at a final state", async () => {
    const { runId } = await newRun();
    const watching = cli.start("runs", "watch", runId);
    await watching.firstLine; // the current state: the stream is open
    for (const type of [StateType.RUNNING, StateType.COMPLETED]) {
      await client.flowRuns.setFlowRunState({ flowRunId: runId, state: { type } });
    }
    const watched = await watching.result;
    expect(watched.code).toBe(0);
    const lines = watched.stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/ PENDING {2}accepted by CreateFlowRunPolicy$/);
    expect(lines[1]).toMatch(/ RUNNING {2}accepted by CoreFlowPolicy$/);
    expect(lines[2]).toMatch(/ COMPLETED {2}accepted by CoreFlowPolicy$/);
  });
});

describe("errors", () => {
  it("are one line with the status and the field, and exit 1", async () => {
    const bad = await cli.run("runs", "show", "not-a-uuid");
    expect(bad).toMatchObject({
      code: 1,
      stdout: "",
      stderr: "flowgate: INVALID_ARGUMENT flow_run_id: must be a valid UUID\n",
    });
    const missing = await cli.run("runs", "show", "01a23261-b9a5-7778-bbd4-847df1e48c26");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^flowgate: NOT_FOUND flow run .*01a23261-b9a5-7778-bbd4-847df1e48c26 not found\n$/i,
    );
  });

  it("name the server that cannot be reached", async () => {
    const down = await runFlowgate(["--address", "127.0.0.1:1", "flows", "list"]);
    expect(down.code).toBe(1);
    expect(down.stderr.trim().split("\n").at(-1)).toMatch(
      /^flowgate: UNAVAILABLE .*ECONNREFUSED 127\.0\.0\.1:1$/,
    );
  });

  it("exit 2 for a wrong command line", async () => {
    const unknownType = await cli.run("runs", "set-state", crypto.randomUUID(), "SLEEPING");
    expect(unknownType.code).toBe(2);
    expect(unknownType.stderr).toMatch(
      /^flowgate: unknown state type "SLEEPING" \(one of SCHEDULED/,
    );
    expect((await cli.run("runs", "frobnicate")).code).toBe(2);
    expect((await cli.run("--output", "yaml", "flows", "list")).code).toBe(2);
  });
});
