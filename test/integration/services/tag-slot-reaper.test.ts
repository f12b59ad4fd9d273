import { afterAll, beforeAll, expect, it } from "vitest";
import { NotFoundError } from "../../../src/domain/index.ts";
import { ReapExpiredLeases } from "../../../src/services/index.ts";
import { type Bench, log, openBench } from "./support.ts";
import { TAG_SLOT_TTL, type TaskBench, taskBench } from "./task-support.ts";

let bench: Bench;
let tasks: TaskBench;
let service: ReapExpiredLeases;
let flowRun: string;
beforeAll(async () => {
  bench = await openBench();
  tasks = taskBench(bench);
  service = new ReapExpiredLeases({
    reaper: bench.reaper,
    locks: bench.newLocks(),
    clock: bench.clock,
    log,
    loopSeconds: 5,
  });
  flowRun = await bench.newRun({ type: "RUNNING" });
});
afterAll(() => bench.close());

async function newTag(limit: number): Promise<string> {
  const tag = `tag-${crypto.randomUUID()}`;
  await tasks.tagLimits.create(tag, limit);
  return tag;
}

/** A PENDING task run of the running flow run, carrying `tag`. */
function newTask(tag: string): Promise<string> {
  return tasks.newTask(flowRun, { type: "PENDING" }, [tag]);
}

function secondsAfter(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

async function holders(tag: string): Promise<number> {
  const [row] = await bench.db.query<{ n: number }>(
    `select count(*)::int as n from tag_concurrency_holder h
     join tag_concurrency_limit l on l.id = h.limit_id where l.tag = $1`,
    [tag],
  );
  return row?.n ?? 0;
}

it("frees a tag slot whose holder expired and keeps an unexpired one", async () => {
  const tag = await newTag(2);
  const [early, late] = [await newTask(tag), await newTask(tag)];
  expect((await tasks.propose(early, { type: "RUNNING" })).status).toBe("ACCEPT");
  const earlyTookAt = bench.clock.now();
  bench.clock.advance(200);
  expect((await tasks.propose(late, { type: "RUNNING" })).status).toBe("ACCEPT");
  expect((await tasks.tagLimits.get(tag)).activeSlots).toEqual([early, late].sort());

  // Expiry is exclusive: at exactly TTL the slot is still held.
  bench.clock.set(secondsAfter(earlyTookAt, TAG_SLOT_TTL));
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 0 });
  bench.clock.advance(1);
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 1 });

  expect((await tasks.tagLimits.get(tag)).activeSlots).toEqual([late]);
  expect(await holders(tag)).toBe(1);
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 0 });
  // Finishing releases the live slot, so later tests start with no holder.
  expect((await tasks.propose(late, { type: "COMPLETED" })).status).toBe("ACCEPT");
  expect(await holders(tag)).toBe(0);
});

it("a crashed holder's slot goes to the waiting task once the reaper freed it", async () => {
  const tag = await newTag(1);
  const crashed = await newTask(tag);
  const waiting = await newTask(tag);
  expect((await tasks.propose(crashed, { type: "RUNNING" })).status).toBe("ACCEPT");
  const tookAt = bench.clock.now();
  // The worker running `crashed` dies here: no state change, no renewal from now on.

  const denied = await tasks.propose(waiting, { type: "RUNNING" });
  expect(denied.status).toBe("WAIT");
  expect(denied.details).toMatchObject({
    reason: `Concurrency limit for the ${tag} tag has been reached`,
  });

  bench.clock.set(secondsAfter(tookAt, TAG_SLOT_TTL + 1));
  // Until the reaper runs, an expired holder still counts.
  expect((await tasks.propose(waiting, { type: "RUNNING" })).status).toBe("WAIT");
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 1 });
  expect((await tasks.tagLimits.get(tag)).activeSlots).toEqual([]);

  expect((await tasks.propose(waiting, { type: "RUNNING" })).status).toBe("ACCEPT");
  expect((await tasks.tagLimits.get(tag)).activeSlots).toEqual([waiting]);

  // Should the crashed worker come back, its slot is gone: renewal is NOT_FOUND, and finishing
  // releases nothing that is not its own.
  await expect(tasks.leases.renew(crashed, 60)).rejects.toBeInstanceOf(NotFoundError);
  expect((await tasks.propose(crashed, { type: "COMPLETED" })).status).toBe("ACCEPT");
  expect((await tasks.tagLimits.get(tag)).activeSlots).toEqual([waiting]);
  expect(await holders(tag)).toBe(1);
  expect((await tasks.propose(waiting, { type: "COMPLETED" })).status).toBe("ACCEPT");
  expect(await holders(tag)).toBe(0);
});

it("keeps the slot of a task that renews with its task-run id", async () => {
  const tag = await newTag(1);
  const renewing = await newTask(tag);
  expect((await tasks.propose(renewing, { type: "RUNNING" })).status).toBe("ACCEPT");
  const tookAt = bench.clock.now();

  bench.clock.set(secondsAfter(tookAt, TAG_SLOT_TTL - 10));
  const expiration = await tasks.leases.renew(renewing, TAG_SLOT_TTL);
  expect(expiration).toEqual(bench.clock.fromNow(TAG_SLOT_TTL));

  bench.clock.set(secondsAfter(tookAt, TAG_SLOT_TTL + 1));
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 0 });
  expect((await tasks.tagLimits.get(tag)).activeSlots).toEqual([renewing]);

  bench.clock.set(secondsAfter(expiration, 1));
  expect(await service.runOnce()).toEqual({ status: "ran", processed: 1 });
  expect((await tasks.tagLimits.get(tag)).activeSlots).toEqual([]);
});
