import { describe, expect, it } from "vitest";
import type { StateType } from "../../../src/domain/index.ts";
import { EnsureOnlyScheduledFlowsMarkedLate } from "../../../src/orchestration/index.ts";
import { makeState, runFlow } from "./support.ts";

const rules = [EnsureOnlyScheduledFlowsMarkedLate];

describe("EnsureOnlyScheduledFlowsMarkedLate", () => {
  it.each<{
    name: string;
    from: StateType | null;
    fromName?: string;
    toName: string;
    reason: string | null;
  }>([
    { name: "Scheduled → Late", from: "SCHEDULED", toName: "Late", reason: null },
    {
      name: "AwaitingRetry → Late",
      from: "SCHEDULED",
      fromName: "AwaitingRetry",
      toName: "Late",
      reason: null,
    },
    { name: "no state → Late", from: null, toName: "Late", reason: null },
    {
      name: "PENDING → Late",
      from: "PENDING",
      toName: "Late",
      reason: "Only scheduled flows can be marked late.",
    },
    {
      name: "RUNNING → Late",
      from: "RUNNING",
      toName: "Late",
      reason: "Only scheduled flows can be marked late.",
    },
    {
      name: "§8.2.4 Late → Late",
      from: "SCHEDULED",
      fromName: "Late",
      toName: "Late",
      reason: "This flow run is already marked late.",
    },
    { name: "RUNNING → Scheduled (not Late)", from: "RUNNING", toName: "Scheduled", reason: null },
  ])("$name", async ({ from, fromName, toName, reason }) => {
    const result = await runFlow({
      initial: from && makeState(from, { name: fromName ?? null }),
      proposed: makeState("SCHEDULED", { name: toName }),
      rules,
    });
    if (reason === null) {
      expect(result.status).toBe("ACCEPT");
    } else {
      expect(result.status).toBe("REJECT");
      expect(result.details).toEqual({ type: "reject_details", reason });
    }
  });
});
