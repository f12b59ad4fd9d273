import { describe, expect, it } from "vitest";
import { UpdateStateDetails } from "../../../src/orchestration/index.ts";
import { makeState, runFlow } from "./support.ts";

describe("UpdateStateDetails", () => {
  it.each([
    { name: "a proposal without a flow run id", sent: undefined },
    { name: "a proposal naming another flow run", sent: "someone-else" },
  ])("names the flow run in $name", async ({ sent }) => {
    const result = await runFlow({
      initial: makeState("PENDING"),
      proposed: makeState("RUNNING", { stateDetails: sent ? { flowRunId: sent } : {} }),
      transforms: [UpdateStateDetails],
    });
    expect(result.state?.stateDetails.flowRunId).toBe("flow-run-1");
    expect(result.state?.stateDetails.taskRunId).toBeUndefined();
  });
});
