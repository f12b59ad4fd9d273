import { describe, expect, it } from "vitest";
import { EnqueueScheduledTasks } from "../../../src/orchestration/index.ts";
import { makeState } from "./support.ts";
import { FakeNotifier, FakeTaskDeps, runTask, taskEndingRule } from "./task-support.ts";

const rules = [EnqueueScheduledTasks];

function depsWithNotifier() {
  const deps = new FakeTaskDeps();
  const notifier = new FakeNotifier();
  deps.scheduledTasks = notifier;
  return { deps, notifier };
}

describe("EnqueueScheduledTasks", () => {
  it.each([
    { name: "a deferred Scheduled state → scheduled queue", stateName: null, queue: "scheduled" },
    {
      name: "a deferred AwaitingRetry state → retry queue",
      stateName: "AwaitingRetry",
      queue: "retry",
    },
  ])("$name", async ({ stateName, queue }) => {
    const { deps, notifier } = depsWithNotifier();
    const result = await runTask({
      initial: null,
      proposed: makeState("SCHEDULED", { name: stateName, stateDetails: { deferred: true } }),
      deps,
      rules,
    });
    expect(result.status).toBe("ACCEPT");
    expect(notifier.notified).toEqual([{ taskRunId: "task-run-1", queue }]);
  });

  it.each([
    { name: "not deferred", details: {}, rules: [] },
    {
      name: "nullified",
      details: { deferred: true },
      rules: [taskEndingRule("Stop", { abort: "x" })],
    },
  ])("nothing is announced when $name", async ({ details, rules: extra }) => {
    const { deps, notifier } = depsWithNotifier();
    await runTask({
      initial: makeState("PENDING"),
      proposed: makeState("SCHEDULED", { stateDetails: details }),
      deps,
      rules: [...rules, ...extra],
    });
    expect(notifier.notified).toEqual([]);
  });

  it("without a notifier the committed state is all there is", async () => {
    const deps = new FakeTaskDeps();
    deps.scheduledTasks = undefined;
    const result = await runTask({
      initial: null,
      proposed: makeState("SCHEDULED", { stateDetails: { deferred: true } }),
      deps,
      rules,
    });
    expect(result.status).toBe("ACCEPT");
  });
});
