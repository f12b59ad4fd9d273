import { describe, expect, it } from "vitest";
import type { StateType } from "../../../src/domain/index.ts";
import { PreserveDeploymentConcurrencyLeaseId } from "../../../src/orchestration/index.ts";
import { makeState, runFlow } from "./support.ts";

const transforms = [PreserveDeploymentConcurrencyLeaseId];

describe("PreserveDeploymentConcurrencyLeaseId", () => {
  it.each<{
    name: string;
    to: StateType;
    current: string | null;
    sent: string | null | undefined;
    expected: string | null | undefined;
  }>([
    {
      name: "§8.1.14 a proposal sending null inherits the lease id",
      to: "RUNNING",
      current: "lease-1",
      sent: null,
      expected: "lease-1",
    },
    {
      name: "a proposal without the field inherits it",
      to: "RUNNING",
      current: "lease-1",
      sent: undefined,
      expected: "lease-1",
    },
    {
      name: "a terminal state keeps the run's lease id",
      to: "COMPLETED",
      current: "lease-1",
      sent: undefined,
      expected: "lease-1",
    },
    {
      name: "a proposal with its own lease id keeps it",
      to: "RUNNING",
      current: "lease-1",
      sent: "lease-2",
      expected: "lease-2",
    },
    {
      name: "nothing to inherit",
      to: "RUNNING",
      current: null,
      sent: undefined,
      expected: undefined,
    },
  ])("PENDING → $to: $name", async ({ to, current, sent, expected }) => {
    const details = sent === undefined ? {} : { deploymentConcurrencyLeaseId: sent };
    const result = await runFlow({
      initial: makeState("PENDING", { stateDetails: { deploymentConcurrencyLeaseId: current } }),
      proposed: makeState(to, { stateDetails: details }),
      transforms,
    });
    expect(result.state?.stateDetails.deploymentConcurrencyLeaseId).toBe(expected);
  });

  it("does nothing without a current state", async () => {
    const result = await runFlow({ initial: null, proposed: makeState("PENDING"), transforms });
    expect(result.state?.stateDetails.deploymentConcurrencyLeaseId).toBeUndefined();
  });
});
