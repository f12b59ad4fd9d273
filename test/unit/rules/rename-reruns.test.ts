import { describe, expect, it } from "vitest";
import type { StateType } from "../../../src/domain/index.ts";
import { RenameReruns } from "../../../src/orchestration/index.ts";
import { makeState } from "./support.ts";
import { makeTaskRun, runTask } from "./task-support.ts";

const rules = [RenameReruns];

describe("RenameReruns", () => {
  it.each<{
    name: string;
    from: StateType | null;
    initialName?: string;
    runCount: number;
    expected: string;
  }>([
    {
      name: "AwaitingRetry, ran before",
      from: "SCHEDULED",
      initialName: "AwaitingRetry",
      runCount: 1,
      expected: "Retrying",
    },
    { name: "PENDING, ran before", from: "PENDING", runCount: 2, expected: "Rerunning" },
    { name: "RUNNING, ran before", from: "RUNNING", runCount: 1, expected: "Rerunning" },
    { name: "first run", from: "PENDING", runCount: 0, expected: "Running" },
    {
      name: "AwaitingRetry after a reset run_count",
      from: "SCHEDULED",
      initialName: "AwaitingRetry",
      runCount: 0,
      expected: "Running",
    },
    { name: "no state", from: null, runCount: 3, expected: "Running" },
  ])("$name → RUNNING is named $expected", async ({ from, initialName, runCount, expected }) => {
    const result = await runTask({
      initial: from && makeState(from, { name: initialName ?? null }),
      proposed: makeState("RUNNING"),
      run: makeTaskRun({ runCount }),
      rules,
    });
    expect(result.status).toBe("ACCEPT");
    expect(result.state?.name).toBe(expected);
  });
});
