import { describe, expect, it } from "vitest";
import type { StateType } from "../../../src/domain/index.ts";
import { CopyTaskParametersID } from "../../../src/orchestration/index.ts";
import { makeState } from "./support.ts";
import { runTask } from "./task-support.ts";

const rules = [CopyTaskParametersID];

describe("CopyTaskParametersID", () => {
  it.each<{ from: StateType; to: StateType; own: string | null; expected: string | null }>([
    { from: "SCHEDULED", to: "PENDING", own: null, expected: "params-1" },
    { from: "PENDING", to: "RUNNING", own: null, expected: "params-1" },
    { from: "SCHEDULED", to: "RUNNING", own: null, expected: "params-1" },
    { from: "PENDING", to: "RUNNING", own: "params-2", expected: "params-2" },
  ])("$from → $to, proposal names $own → $expected", async ({ from, to, own, expected }) => {
    const result = await runTask({
      initial: makeState(from, { stateDetails: { taskParametersId: "params-1" } }),
      proposed: makeState(to, { stateDetails: own ? { taskParametersId: own } : {} }),
      rules,
    });
    expect(result.state?.stateDetails.taskParametersId).toBe(expected);
  });

  it("RUNNING → COMPLETED copies nothing", async () => {
    const result = await runTask({
      initial: makeState("RUNNING", { stateDetails: { taskParametersId: "params-1" } }),
      proposed: makeState("COMPLETED"),
      rules,
    });
    expect(result.state?.stateDetails.taskParametersId).toBeUndefined();
  });
});
