/**
 * 200 task runs, each with two tags (limits 3 and 5), racing PENDING → RUNNING over gRPC on
 * PostgreSQL: never more holders than a limit, a run holds both tags' slots or neither, at
 * most 3 RUNNING at once; every run eventually completes and every limit ends with 0 holders.
 * Waiting runs are re-proposed in rounds instead of honouring the WAIT delay.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { SetStateStatus } from "../../../gen/flowgate/v1/orchestration_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { reasonOf } from "../../support/flow-runs.ts";
import { startTestServer, type TestServer } from "../../support/server.ts";
import { taskRunHelpers } from "../../support/task-runs.ts";

let server: TestServer;
let h: ReturnType<typeof taskRunHelpers>;
beforeAll(async () => {
  server = await startTestServer({ FLOWGATE_BACKGROUND_SERVICES: "false" });
  h = taskRunHelpers(server);
});
afterAll(() => server.stop());

const TASKS = 200;
/** Waiting runs re-proposed per round, and how often all of them race at once. */
const WINDOW = 30;
const FULL_RACE_EVERY = 8;
const LIMITS = { "race-3": 3, "race-5": 5 } as const;
type Tag = keyof typeof LIMITS;
const TAGS = Object.keys(LIMITS) as Tag[];

/** Committed holders per tag, and RUNNING task runs, as the database sees them. */
async function snapshot() {
  const holders = await server.database.query<{ tag: Tag; task_run_id: string | null }>(
    `select l.tag, h.task_run_id from tag_concurrency_limit l
     left join tag_concurrency_holder h on h.limit_id = l.id
     where l.tag = any($1)`,
    [TAGS],
  );
  const running = await server.database.query<{ id: string }>(
    "select id from task_run where state_type = 'RUNNING'",
  );
  const byTag = Object.fromEntries(TAGS.map((tag) => [tag, [] as string[]])) as Record<
    Tag,
    string[]
  >;
  for (const row of holders) if (row.task_run_id !== null) byTag[row.tag].push(row.task_run_id);
  return { byTag, running: running.map((r) => r.id) };
}

function expectWithinLimits(snap: Awaited<ReturnType<typeof snapshot>>) {
  for (const tag of TAGS) expect(snap.byTag[tag].length).toBeLessThanOrEqual(LIMITS[tag]);
  expect(snap.running.length).toBeLessThanOrEqual(3);
}

it("never exceeds either limit while 200 two-tag task runs race, and ends with 0 holders", async () => {
  for (const tag of TAGS) {
    const created = await h.limits.createConcurrencyLimit({ tag, concurrencyLimit: LIMITS[tag] });
    expect(created.concurrencyLimit?.activeSlots).toEqual([]);
  }
  const flowRunId = await h.newFlowRun();
  const tasks = await Promise.all(
    Array.from({ length: TASKS }, (_, i) =>
      // Half list the tags in the other order: lock ordering must not depend on it.
      h.newTask({ flowRunId, tags: i % 2 === 0 ? [...TAGS] : [...TAGS].reverse() }),
    ),
  );
  const ids = tasks.map((t) => t.id);

  // A sampler watching committed holders while proposals are in flight.
  let sampling = true;
  let samples = 0;
  const maxSeen = { "race-3": 0, "race-5": 0, running: 0 };
  const sampler = (async () => {
    while (sampling) {
      const snap = await snapshot();
      samples += 1;
      for (const tag of TAGS) maxSeen[tag] = Math.max(maxSeen[tag], snap.byTag[tag].length);
      maxSeen.running = Math.max(maxSeen.running, snap.running.length);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();

  const waiting = new Set(ids);
  const running = new Set<string>();
  const completed = new Set<string>();
  let rounds = 0;
  let accepted = 0;
  try {
    // Round 0: all 200 at once against empty limits; exactly 3 get both slots.
    const first = await Promise.all(ids.map((id) => h.propose(id, { type: StateType.RUNNING })));
    expect(first.filter((r) => r.status === SetStateStatus.ACCEPT)).toHaveLength(3);
    for (const [i, result] of first.entries()) {
      if (result.status === SetStateStatus.ACCEPT) {
        waiting.delete(ids[i]!);
        running.add(ids[i]!);
        accepted += 1;
      } else {
        expect(result.status).toBe(SetStateStatus.WAIT);
        expect(reasonOf(result)).toBe("Concurrency limit for the race-3 tag has been reached");
        expect(result.details.case === "wait" && result.details.value.delaySeconds).toBe(10);
        // A WAIT commits nothing: the run stays PENDING.
        expect(result.state?.type).toBe(StateType.PENDING);
      }
    }
    await checkConsistent(running);

    // Rounds: the RUNNING ones complete while waiting ones re-propose, concurrently.
    while (completed.size < TASKS) {
      rounds += 1;
      expect(rounds).toBeLessThan(400);
      const finishing = [...running];
      // Every FULL_RACE_EVERY-th round all waiting runs race; otherwise the WINDOW that waited
      // longest (a WAITed run goes to the back), which keeps the runtime reasonable.
      const proposing =
        rounds % FULL_RACE_EVERY === 0 ? [...waiting] : [...waiting].slice(0, WINDOW);
      const [done, attempts] = await Promise.all([
        Promise.all(finishing.map((id) => h.propose(id, { type: StateType.COMPLETED }))),
        Promise.all(proposing.map((id) => h.propose(id, { type: StateType.RUNNING }))),
      ]);
      for (const [i, result] of done.entries()) {
        expect(result.status).toBe(SetStateStatus.ACCEPT);
        running.delete(finishing[i]!);
        completed.add(finishing[i]!);
      }
      for (const [i, result] of attempts.entries()) {
        if (result.status === SetStateStatus.ACCEPT) {
          waiting.delete(proposing[i]!);
          running.add(proposing[i]!);
          accepted += 1;
        } else {
          expect(result.status).toBe(SetStateStatus.WAIT);
          expect(reasonOf(result)).toBe("Concurrency limit for the race-3 tag has been reached");
          waiting.delete(proposing[i]!);
          waiting.add(proposing[i]!);
        }
      }
      expect(running.size).toBeLessThanOrEqual(3);
      await checkConsistent(running);
    }
  } finally {
    sampling = false;
    await sampler;
  }

  expect(accepted).toBe(TASKS);
  expect(waiting.size).toBe(0);
  expect(samples).toBeGreaterThan(0);
  expect(maxSeen["race-3"]).toBeLessThanOrEqual(3);
  expect(maxSeen["race-5"]).toBeLessThanOrEqual(3); // every run also needs a race-3 slot
  expect(maxSeen.running).toBeLessThanOrEqual(3);

  // Every run finished exactly once; every limit has 0 holders.
  const final = await snapshot();
  expect(final.byTag["race-3"]).toEqual([]);
  expect(final.byTag["race-5"]).toEqual([]);
  for (const tag of TAGS) {
    const limit = (await h.limits.getConcurrencyLimit({ tag })).concurrencyLimit!;
    expect(limit.concurrencyLimit).toBe(LIMITS[tag]);
    expect(limit.activeSlots).toEqual([]);
  }
  const states = await server.database.query<{
    state_type: string;
    run_count: number;
    n: string;
  }>(
    "select state_type, run_count, count(*) as n from task_run where id = any($1) group by state_type, run_count",
    [ids],
  );
  expect(states).toEqual([{ state_type: "COMPLETED", run_count: 1, n: String(TASKS) }]);
  const holderRows = await server.database.query<{ n: string }>(
    "select count(*) as n from tag_concurrency_holder",
  );
  expect(holderRows[0]!.n).toBe("0");
}, 120_000);

/**
 * Between rounds: the holders of both limits are exactly the RUNNING runs (all-or-nothing,
 * nobody else), as the database and GetConcurrencyLimit see them.
 */
async function checkConsistent(running: Set<string>) {
  const snap = await snapshot();
  expectWithinLimits(snap);
  const expected = [...running].sort();
  expect([...snap.running].sort()).toEqual(expected);
  for (const tag of TAGS) {
    expect([...snap.byTag[tag]].sort()).toEqual(expected);
    const limit = (await h.limits.getConcurrencyLimit({ tag })).concurrencyLimit!;
    expect([...limit.activeSlots].sort()).toEqual(expected);
  }
  const grouped = await server.database.query<{ limit_id: string; n: string }>(
    "select limit_id, count(*) as n from tag_concurrency_holder group by limit_id",
  );
  for (const row of grouped) expect(Number(row.n)).toBeLessThanOrEqual(3);
}
