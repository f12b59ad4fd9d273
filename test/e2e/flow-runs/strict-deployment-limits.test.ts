/**
 * FLOWGATE_STRICT_DEPLOYMENT_LIMITS, both modes, over gRPC with real concurrent calls.
 *
 * Default mode is Prefect's documented behaviour: a deployment slot is taken only on the way
 * into PENDING, so runs that go SCHEDULED → RUNNING directly, or are created RUNNING, hold no
 * slot and are never turned away (measured before this setting existed: 6 of 6 accepted on a
 * limit of 3). Strict mode (the regression for that hole): every way into PENDING or RUNNING
 * takes a slot or is turned away as SecureFlowConcurrencySlots does, and slots == holders.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CollisionStrategy } from "../../../gen/flowgate/v1/deployment_pb.js";
import { SetStateStatus } from "../../../gen/flowgate/v1/orchestration_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { flowRunHelpers, reasonOf, scheduledNow } from "../../support/flow-runs.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";
import { deploymentSlots, heldBy } from "../../support/slots.ts";

const LIMIT_REACHED = "Deployment concurrency limit reached.";
const RACERS = 6;
const LIMIT = 3;

let prefect: TestServer;
let strict: TestServer;
let p: ReturnType<typeof flowRunHelpers>;
let s: ReturnType<typeof flowRunHelpers>;
beforeAll(async () => {
  [prefect, strict] = await Promise.all([
    startTestServer({ FLOWGATE_BACKGROUND_SERVICES: "false" }),
    startTestServer({
      FLOWGATE_BACKGROUND_SERVICES: "false",
      FLOWGATE_STRICT_DEPLOYMENT_LIMITS: "true",
    }),
  ]);
  p = flowRunHelpers(prefect);
  s = flowRunHelpers(strict);
});
afterAll(() => Promise.all([prefect.stop(), strict.stop()]));

/** `count` runs of one deployment, each SCHEDULED for now. */
async function scheduledRuns(
  h: ReturnType<typeof flowRunHelpers>,
  init: Parameters<ReturnType<typeof flowRunHelpers>["newDeployment"]>[0],
  count: number,
) {
  const { flowId, deploymentId } = await h.newDeployment(init);
  const runs = await Promise.all(
    Array.from({ length: count }, () => h.newRun({ flowId, deploymentId, state: scheduledNow() })),
  );
  return { flowId, deploymentId, runIds: runs.map((run) => run.id) };
}

/** Runs of the deployment in PENDING or RUNNING, as the database sees them. */
async function holdingRuns(server: TestServer, deploymentId: string): Promise<string[]> {
  const rows = await server.database.query<{ id: string }>(
    `select id from flow_run where deployment_id = $1 and state_type in ('PENDING', 'RUNNING') order by id`,
    [deploymentId],
  );
  return rows.map((row) => row.id);
}

describe("default mode (Prefect's behaviour, documented)", () => {
  it(`accepts all ${RACERS} concurrent SCHEDULED → RUNNING on a limit of ${LIMIT}; none holds a slot`, async () => {
    const { deploymentId, runIds } = await scheduledRuns(p, { concurrencyLimit: LIMIT }, RACERS);
    const results = await Promise.all(
      runIds.map((id) => p.propose(id, { type: StateType.RUNNING })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(RACERS).fill(SetStateStatus.ACCEPT));
    expect(
      results.every(
        (r) => !r.context?.ruleSignature.includes("SecureFlowConcurrencySlotsStrictly"),
      ),
    ).toBe(true);
    expect(await deploymentSlots(prefect.database, deploymentId)).toEqual(heldBy(0));
  });

  it("CreateFlowRun with an initial RUNNING state beyond the limit is accepted without a slot", async () => {
    const { flowId, deploymentId } = await p.newDeployment({ concurrencyLimit: 1 });
    const runs = await Promise.all(
      [1, 2].map(() => p.newRun({ flowId, deploymentId, state: { type: StateType.RUNNING } })),
    );
    expect(runs.map((run) => run.stateType)).toEqual([StateType.RUNNING, StateType.RUNNING]);
    expect((await deploymentSlots(prefect.database, deploymentId)).active).toBe(0);
  });
});

describe("strict mode (FLOWGATE_STRICT_DEPLOYMENT_LIMITS=true)", () => {
  it(`lets exactly ${LIMIT} of ${RACERS} concurrent SCHEDULED → RUNNING in; the rest await a slot`, async () => {
    const { deploymentId, runIds } = await scheduledRuns(s, { concurrencyLimit: LIMIT }, RACERS);
    const results = await Promise.all(
      runIds.map((id) => s.propose(id, { type: StateType.RUNNING })),
    );
    const accepted = runIds.filter((_, i) => results[i]!.status === SetStateStatus.ACCEPT);
    expect(accepted).toHaveLength(LIMIT);
    for (const turnedAway of results.filter((r) => r.status !== SetStateStatus.ACCEPT)) {
      expect(turnedAway.status).toBe(SetStateStatus.REJECT);
      expect(reasonOf(turnedAway)).toBe(LIMIT_REACHED);
      expect(turnedAway.state?.type).toBe(StateType.SCHEDULED);
      expect(turnedAway.state?.name).toBe("AwaitingConcurrencySlot");
    }
    for (const holder of results.filter((r) => r.status === SetStateStatus.ACCEPT)) {
      expect(holder.state?.stateDetails?.deploymentConcurrencyLeaseId).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(await deploymentSlots(strict.database, deploymentId)).toEqual(heldBy(LIMIT));
    expect(await holdingRuns(strict, deploymentId)).toEqual([...accepted].sort());
  });

  it("with CANCEL_NEW the runs beyond the limit are cancelled", async () => {
    const { deploymentId, runIds } = await scheduledRuns(
      s,
      {
        concurrencyLimit: LIMIT,
        concurrencyOptions: { collisionStrategy: CollisionStrategy.CANCEL_NEW },
      },
      RACERS,
    );
    const results = await Promise.all(
      runIds.map((id) => s.propose(id, { type: StateType.RUNNING })),
    );
    expect(results.filter((r) => r.status === SetStateStatus.ACCEPT)).toHaveLength(LIMIT);
    const cancelled = results.filter((r) => r.status !== SetStateStatus.ACCEPT);
    expect(cancelled).toHaveLength(RACERS - LIMIT);
    for (const result of cancelled) {
      expect(reasonOf(result)).toBe(LIMIT_REACHED);
      expect(result.state?.type).toBe(StateType.CANCELLED);
      expect(result.state?.message).toBe(LIMIT_REACHED);
    }
    expect((await deploymentSlots(strict.database, deploymentId)).active).toBe(LIMIT);
  });

  it(`CreateFlowRun with an initial RUNNING state: ${LIMIT} of ${RACERS} concurrent creations get a slot, the rest are turned away`, async () => {
    const { flowId, deploymentId } = await s.newDeployment({ concurrencyLimit: LIMIT });
    const runs = await Promise.all(
      Array.from({ length: RACERS }, () =>
        s.newRun({ flowId, deploymentId, state: { type: StateType.RUNNING } }),
      ),
    );
    const running = runs.filter((run) => run.stateType === StateType.RUNNING);
    expect(running).toHaveLength(LIMIT);
    for (const run of runs.filter((r) => r.stateType !== StateType.RUNNING)) {
      expect(run.stateType).toBe(StateType.SCHEDULED);
      expect(run.stateName).toBe("AwaitingConcurrencySlot");
      expect(run.state?.stateDetails?.deploymentConcurrencyLeaseId ?? "").toBe("");
    }
    expect(await deploymentSlots(strict.database, deploymentId)).toEqual(heldBy(LIMIT));
    expect(await holdingRuns(strict, deploymentId)).toEqual(running.map((run) => run.id).sort());
  });

  it("CreateFlowRun without a state (PENDING) takes a slot too", async () => {
    const { flowId, deploymentId } = await s.newDeployment({ concurrencyLimit: 1 });
    const first = await s.newRun({ flowId, deploymentId });
    const second = await s.newRun({ flowId, deploymentId });
    expect(first.stateType).toBe(StateType.PENDING);
    expect(second.stateName).toBe("AwaitingConcurrencySlot");
    expect((await deploymentSlots(strict.database, deploymentId)).active).toBe(1);
  });

  it("CreateFlowRun RUNNING on a limit of 0 is FAILED_PRECONDITION with Prefect's reason, and creates nothing", async () => {
    const { flowId, deploymentId } = await s.newDeployment({ concurrencyLimit: 0 });
    const error = await s.newRun({ flowId, deploymentId, state: { type: StateType.RUNNING } }).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(Code.FailedPrecondition);
    expect(error?.rawMessage).toBe(
      "The deployment concurrency limit is 0. The flow will deadlock if submitted again.",
    );
    const rows = await strict.database.query(`select 1 from flow_run where deployment_id = $1`, [
      deploymentId,
    ]);
    expect(rows).toHaveLength(0);
  });

  it("force is an operator override: a forced SCHEDULED → RUNNING takes no slot and is not turned away", async () => {
    const { deploymentId, runIds } = await scheduledRuns(s, { concurrencyLimit: 1 }, 2);
    await s.propose(runIds[0]!, { type: StateType.RUNNING });
    const forced = await s.propose(runIds[1]!, { type: StateType.RUNNING }, true);
    expect(forced.status).toBe(SetStateStatus.ACCEPT);
    expect(forced.context?.policy).toBe("MinimalFlowPolicy");
    expect((await deploymentSlots(strict.database, deploymentId)).active).toBe(1);
  });

  it("terminal states free the slots: the next wave gets them, and slots == holders at the end", async () => {
    const { flowId, deploymentId, runIds } = await scheduledRuns(
      s,
      { concurrencyLimit: LIMIT },
      RACERS,
    );
    const first = await Promise.all(runIds.map((id) => s.propose(id, { type: StateType.RUNNING })));
    const holders = runIds.filter((_, i) => first[i]!.status === SetStateStatus.ACCEPT);
    expect(holders).toHaveLength(LIMIT);

    // The holders finish (COMPLETED, FAILED, CANCELLED) while a new wave races for their slots.
    const ends = [StateType.COMPLETED, StateType.FAILED, StateType.CANCELLED];
    const wave = await Promise.all(
      Array.from({ length: RACERS }, () =>
        s.newRun({ flowId, deploymentId, state: scheduledNow() }),
      ),
    );
    const [finished, entered] = await Promise.all([
      Promise.all(holders.map((id, i) => s.propose(id, { type: ends[i % ends.length]! }))),
      Promise.all(wave.map((run) => s.propose(run.id, { type: StateType.RUNNING }))),
    ]);
    expect(finished.map((r) => r.status)).toEqual(Array(LIMIT).fill(SetStateStatus.ACCEPT));
    const newHolders = wave.filter((_, i) => entered[i]!.status === SetStateStatus.ACCEPT);
    const after = await deploymentSlots(strict.database, deploymentId);
    expect(after.active).toBeLessThanOrEqual(LIMIT);
    expect(after).toEqual(heldBy(newHolders.length));
    expect(await holdingRuns(strict, deploymentId)).toEqual(newHolders.map((r) => r.id).sort());

    await Promise.all(newHolders.map((run) => s.propose(run.id, { type: StateType.COMPLETED })));
    expect(await deploymentSlots(strict.database, deploymentId)).toEqual(heldBy(0));
    const late = await Promise.all(
      Array.from({ length: LIMIT }, () =>
        s.newRun({ flowId, deploymentId, state: { type: StateType.RUNNING } }),
      ),
    );
    expect(late.map((run) => run.stateType)).toEqual(Array(LIMIT).fill(StateType.RUNNING));
  });
});
