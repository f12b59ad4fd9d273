/**
 * The engine inside a real PostgreSQL transaction: an accepted transition writes exactly one
 * state row (and one event); a transition that throws — after the state row was already
 * inserted — leaves no row, no event and no slot behind.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowRunUseCases } from "../../src/application/flow-runs.ts";
import { systemClock, uuidv7Ids } from "../../src/application/system.ts";
import type { FlowRun, State } from "../../src/domain/index.ts";
import { createLogger } from "../../src/logger.ts";
import {
  ALL_ORCHESTRATION_STATES,
  CoreFlowPolicy,
  defaultOrchestrationSettings,
  type FlowOrchestrationDeps,
  OrchestrationRule,
  Policy,
} from "../../src/orchestration/index.ts";
import { type Database, openDatabase } from "../../src/persistence/database.ts";
import { PgFlowRunStore } from "../../src/persistence/flow-run-store.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

let testDatabase: TestDatabase;
let database: Database;
let flowRuns: FlowRunUseCases;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await openDatabase(
    { databaseUrl: testDatabase.url, dataDir: "" },
    createLogger("silent"),
  );
  const store = new PgFlowRunStore(database.orm, {
    clock: systemClock,
    ids: uuidv7Ids,
    settings: defaultOrchestrationSettings(),
    random: Math.random,
  });
  flowRuns = new FlowRunUseCases(store, systemClock, uuidv7Ids);
});
afterAll(async () => {
  await database.close();
  await testDatabase.drop();
});

/** A rule whose after-hook fails: the state row is already written when it throws. */
class ExplodeAfterValidation extends OrchestrationRule<FlowRun, FlowOrchestrationDeps> {
  static override readonly ruleName = "ExplodeAfterValidation";
  static override readonly FROM_STATES = ALL_ORCHESTRATION_STATES;
  static override readonly TO_STATES = ALL_ORCHESTRATION_STATES;
  protected override async afterTransition(
    _initial: State | null,
    validated: State | null,
  ): Promise<void> {
    if (validated === null) throw new Error("expected a validated state");
    throw new Error("after-hook failure");
  }
}
const explodingPolicy = new Policy<FlowRun, FlowOrchestrationDeps>("ExplodingPolicy", [
  ...CoreFlowPolicy.rules,
  ExplodeAfterValidation,
]);

async function newRun(deploymentLimit?: number) {
  const flowId = uuidv7Ids.newId();
  await testDatabase.query(
    "insert into flow (id, name, tags, created, updated) values ($1::uuid, $1::text, '{}', now(), now())",
    [flowId],
  );
  let deploymentId: string | null = null;
  if (deploymentLimit !== undefined) {
    deploymentId = uuidv7Ids.newId();
    const limitId = uuidv7Ids.newId();
    await testDatabase.query(
      `insert into concurrency_limit_v2 (id, name, "limit", updated) values ($1, 'deployment:' || $2::text, $3, now())`,
      [limitId, deploymentId, deploymentLimit],
    );
    await testDatabase.query(
      "insert into deployment (id, flow_id, name, concurrency_limit_id, created, updated) values ($1, $2, 'd', $3, now(), now())",
      [deploymentId, flowId, limitId],
    );
  }
  const { record } = await flowRuns.create(
    {
      flowId,
      deploymentId,
      name: "r",
      parameters: {},
      tags: [],
      parentTaskRunId: null,
      infrastructurePid: null,
      idempotencyKey: null,
      empiricalPolicy: {
        retries: null,
        retryDelay: null,
        pauseKeys: [],
        resuming: false,
        retryType: null,
      },
    },
    { type: "SCHEDULED" },
  );
  return record.run.id;
}

async function counts(runId: string) {
  const [row] = await testDatabase.query<{
    states: number;
    events: number;
    leases: number;
    slots: number;
  }>(
    `select (select count(*)::int from flow_run_state where flow_run_id = $1) as states,
            (select count(*)::int from event where resource_id = $1) as events,
            (select count(*)::int from concurrency_lease) as leases,
            (select coalesce(sum(active_slots), 0)::int from concurrency_limit_v2) as slots`,
    [runId],
  );
  return row!;
}

describe("one orchestration, one transaction", () => {
  it("writes exactly one state row and one event for an accepted transition", async () => {
    const runId = await newRun();
    const before = await counts(runId);
    const result = await flowRuns.setState({
      flowRunId: runId,
      state: { type: "PENDING" },
      force: false,
    });
    expect(result.status).toBe("ACCEPT");
    const after = await counts(runId);
    expect(after.states - before.states).toBe(1);
    expect(after.events - before.events).toBe(1);
    const [run] = await testDatabase.query<{ state_id: string; state_type: string }>(
      "select state_id, state_type from flow_run where id = $1",
      [runId],
    );
    expect(run).toEqual({ state_id: result.state!.id, state_type: "PENDING" });
  });

  it("leaves no state row, event, lease or slot behind when the transition throws", async () => {
    const runId = await newRun(1);
    const before = await counts(runId);
    await expect(
      flowRuns.setState({
        flowRunId: runId,
        state: { type: "PENDING" },
        force: false,
        policy: explodingPolicy,
      }),
    ).rejects.toThrow("after-hook failure");
    expect(await counts(runId)).toEqual(before);
    const [run] = await testDatabase.query<{ state_type: string }>(
      "select state_type from flow_run where id = $1",
      [runId],
    );
    expect(run?.state_type).toBe("SCHEDULED");
    // The same proposal without the failing rule takes the slot the failed one never kept.
    const ok = await flowRuns.setState({
      flowRunId: runId,
      state: { type: "PENDING" },
      force: false,
    });
    expect(ok.status).toBe("ACCEPT");
    expect((await counts(runId)).slots).toBe(1);
  });

  it("answers ABORT with no state written when validation fails, and keeps the transaction usable", async () => {
    const runId = await newRun();
    const before = await counts(runId);
    // A trigger stands in for any non-retryable failure of the insert (a constraint, say).
    await testDatabase.query(`create or replace function refuse_state() returns trigger language plpgsql as
      $$ begin if new.name = 'Refused' then raise exception 'refused by trigger'; end if; return new; end $$`);
    await testDatabase.query(
      "create trigger refuse_state before insert on flow_run_state for each row execute function refuse_state()",
    );
    try {
      const result = await flowRuns.setState({
        flowRunId: runId,
        state: { type: "PENDING", name: "Refused" },
        force: false,
      });
      expect(result.status).toBe("ABORT");
      expect(result.details).toMatchObject({ type: "abort_details" });
      expect((result.details as { reason: string }).reason).toMatch(/^Error validating state: /);
      expect(await counts(runId)).toEqual(before);
    } finally {
      await testDatabase.query("drop trigger refuse_state on flow_run_state");
    }
  });
});
