/**
 * A task run that crashes while holding a tag slot (it never reports again) loses the slot
 * once its TTL passes and the reaper runs; a waiting task then gets it. Over gRPC, with a
 * 1 s TTL and a fast reaper loop.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { SetStateStatus } from "../../../gen/flowgate/v1/orchestration_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import { startTestServer, type TestServer } from "../../support/server.ts";
import { taskRunHelpers } from "../../support/task-runs.ts";

let server: TestServer;
let h: ReturnType<typeof taskRunHelpers>;
beforeAll(async () => {
  server = await startTestServer({
    FLOWGATE_TAG_SLOT_LEASE_SECONDS: "1",
    FLOWGATE_LEASE_REAPER_LOOP_SECONDS: "0.2",
  });
  h = taskRunHelpers(server);
});
afterAll(() => server.stop());

it("frees the slot of a holder that stopped renewing, and the waiting task takes it", async () => {
  await h.limits.createConcurrencyLimit({ tag: "single", concurrencyLimit: 1 });
  const flowRunId = await h.newFlowRun();
  const crashed = await h.newTask({ flowRunId, tags: ["single"] });
  const waiting = await h.newTask({ flowRunId, tags: ["single"] });
  expect((await h.propose(crashed.id, { type: StateType.RUNNING })).status).toBe(
    SetStateStatus.ACCEPT,
  );
  expect((await h.propose(waiting.id, { type: StateType.RUNNING })).status).toBe(
    SetStateStatus.WAIT,
  );

  // The holder never reports again. Within a few reaper ticks after its 1 s TTL, the slot frees.
  let slots: readonly string[] = [crashed.id];
  for (let i = 0; i < 50 && slots.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    slots = (await h.limits.getConcurrencyLimit({ tag: "single" })).concurrencyLimit!.activeSlots;
  }
  expect(slots).toEqual([]);
  expect((await h.propose(waiting.id, { type: StateType.RUNNING })).status).toBe(
    SetStateStatus.ACCEPT,
  );
  expect(
    (await h.limits.getConcurrencyLimit({ tag: "single" })).concurrencyLimit?.activeSlots,
  ).toEqual([waiting.id]);
});
