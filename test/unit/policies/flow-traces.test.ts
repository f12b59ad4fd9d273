/**
 * The end-to-end flow traces of spec §6 (and the force path of §2.9), run through the real
 * CoreFlowPolicy / MinimalFlowPolicy / MarkLateRunsPolicy + GlobalFlowPolicy with fake
 * ports: each step proposes a state against the run's current state, as a worker would.
 */
import { describe, expect, it } from "vitest";
import {
  defaultFlowRunPolicy,
  type FlowRun,
  type State,
  type StateInit,
} from "../../../src/domain/index.ts";
import {
  CoreFlowPolicy,
  type FlowOrchestrationDeps,
  flowRunPolicies,
  MarkLateRunsPolicy,
  newState,
  type Policy,
} from "../../../src/orchestration/index.ts";
import {
  at,
  FakeFlowDeps,
  FakeStateWriter,
  type FlowResult,
  makeFlowRun,
  runFlow,
} from "../rules/support.ts";

/** One flow run driven through the policies; its states are remembered like a store would. */
class Driver {
  readonly deps: FakeFlowDeps;
  readonly run: FlowRun;
  current: State | null = null;
  readonly writer = new FakeStateWriter();

  constructor(deps: FakeFlowDeps, run: FlowRun) {
    this.deps = deps;
    this.run = run;
    const write = this.writer.writeState.bind(this.writer);
    this.writer.writeState = async (r, state) => {
      deps.flowRunStates.take(r.id, state.timestamp);
      return write(r, state);
    };
  }

  async propose(
    init: StateInit,
    options: { force?: boolean; policy?: Policy<FlowRun, FlowOrchestrationDeps> } = {},
  ): Promise<FlowResult> {
    const result = await runFlow({
      initial: this.current,
      proposed: newState(this.deps, init),
      run: this.run,
      deps: this.deps,
      writer: this.writer,
      policies: flowRunPolicies,
      policy: options.policy ?? CoreFlowPolicy,
      force: options.force ?? false,
    });
    this.current = result.state;
    return result;
  }

  advance(seconds: number): void {
    this.deps.clock.current = new Date(this.deps.clock.current.getTime() + seconds * 1000);
  }
}

function deployedDrivers(limit: number) {
  const deps = new FakeFlowDeps();
  deps.globalLimits.add("limit-1", limit);
  deps.deployments.add("dep-1", "limit-1");
  const first = new Driver(deps, makeFlowRun({ id: "run-1", deploymentId: "dep-1" }));
  const second = new Driver(deps, makeFlowRun({ id: "run-2", deploymentId: "dep-1" }));
  return { deps, first, second };
}

describe("§6 flow traces", () => {
  it("deployed flow, happy path, deployment limit 1, and a second run that must wait", async () => {
    const { deps, first, second } = deployedDrivers(1);
    const t = at(60);

    const created = await first.propose(
      { type: "SCHEDULED", stateDetails: { scheduledTime: t } },
      { force: true },
    );
    expect(created.status).toBe("ACCEPT");
    expect(first.run).toMatchObject({
      stateType: "SCHEDULED",
      expectedStartTime: t,
      nextScheduledStartTime: t,
    });
    expect(deps.events.events.map((e) => e.event)).toEqual(["prefect.flow-run.Scheduled"]);

    const pending = await first.propose({ type: "PENDING" });
    expect(pending.status).toBe("ACCEPT");
    expect(pending.state?.stateDetails).toMatchObject({
      scheduledTime: t,
      deploymentConcurrencyLeaseId: "lease-1",
    });
    expect(deps.leases.leases.get("lease-1")?.expiration).toEqual(at(300));
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
    expect(first.run.nextScheduledStartTime).toBeNull();

    const submitting = await first.propose({ type: "PENDING", name: "Submitting" });
    expect(submitting.status).toBe("ACCEPT");
    expect(submitting.state?.stateDetails.deploymentConcurrencyLeaseId).toBe("lease-1");

    await second.propose(
      { type: "SCHEDULED", stateDetails: { scheduledTime: t } },
      { force: true },
    );
    const waiting = await second.propose({ type: "PENDING" });
    expect(waiting.status).toBe("REJECT");
    expect(waiting.details).toEqual({
      type: "reject_details",
      reason: "Deployment concurrency limit reached.",
    });
    expect(waiting.state).toMatchObject({
      type: "SCHEDULED",
      name: "AwaitingConcurrencySlot",
      stateDetails: { scheduledTime: at(30) },
    });
    expect(second.run.nextScheduledStartTime).toEqual(at(30));

    const early = await first.propose({ type: "RUNNING" });
    expect(early.details).toEqual({
      type: "wait_details",
      delaySeconds: 60,
      reason: "Scheduled time is in the future",
    });

    first.advance(61);
    const running = await first.propose({ type: "RUNNING" });
    expect(running.status).toBe("ACCEPT");
    expect(running.state?.stateDetails.deploymentConcurrencyLeaseId).toBe("lease-1");
    expect(deps.leases.leases.get("lease-1")?.expiration).toEqual(at(61 + 300));
    expect(first.run).toMatchObject({ runCount: 1, startTime: at(61) });

    first.advance(10);
    const completed = await first.propose({ type: "COMPLETED", data: { storage_key: "k" } });
    expect(completed.status).toBe("ACCEPT");
    expect(completed.state?.stateDetails.deploymentConcurrencyLeaseId).toBe("lease-1");
    expect(first.run).toMatchObject({ totalRunTime: 10, endTime: at(71), stateType: "COMPLETED" });
    expect(deps.globalLimits.slots("limit-1")).toBe(0);
    expect(deps.leases.leases.size).toBe(0);

    expect(
      deps.events.events
        .filter((e) => e.resource["prefect.resource.id"] === "prefect.flow-run.run-1")
        .map((e) => e.event),
    ).toEqual([
      "prefect.flow-run.Scheduled",
      "prefect.flow-run.Pending",
      "prefect.flow-run.Submitting",
      "prefect.flow-run.Running",
      "prefect.flow-run.Completed",
    ]);

    second.advance(0);
    const secondPending = await second.propose({ type: "PENDING" });
    expect(secondPending.status).toBe("ACCEPT");
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
  });

  it("flow retry (retries=1): AwaitingRetry in process, slot released, then FAILED", async () => {
    const { deps, first } = deployedDrivers(1);
    first.run.empiricalPolicy = { ...defaultFlowRunPolicy(), retries: 1, retryDelay: 5 };
    await first.propose({ type: "SCHEDULED" }, { force: true });
    await first.propose({ type: "PENDING" });
    await first.propose({ type: "RUNNING" });
    expect(first.run.runCount).toBe(1);

    const retry = await first.propose({ type: "FAILED", message: "boom" });
    expect(retry.status).toBe("REJECT");
    expect(retry.details).toEqual({ type: "reject_details", reason: "Retrying" });
    expect(retry.state).toMatchObject({
      type: "SCHEDULED",
      name: "AwaitingRetry",
      message: "boom",
    });
    expect(first.run.empiricalPolicy.retryType).toBe("in_process");
    expect(deps.globalLimits.slots("limit-1")).toBe(0);

    first.advance(5);
    const again = await first.propose({ type: "RUNNING" });
    expect(again.status).toBe("ACCEPT");
    expect(first.run.runCount).toBe(2);

    const failed = await first.propose({ type: "FAILED" });
    expect(failed.status).toBe("ACCEPT");
    expect(first.run.empiricalPolicy.retryType).toBeNull();
  });

  it("manual retry: FAILED → SCHEDULED of a deployed run is accepted and keeps run_count", async () => {
    const { first } = deployedDrivers(5);
    await first.propose({ type: "RUNNING" }, { force: true });
    await first.propose({ type: "FAILED" });
    const retried = await first.propose({ type: "SCHEDULED", name: "AwaitingRetry" });
    expect(retried.status).toBe("ACCEPT");
    expect(first.run).toMatchObject({ runCount: 1, endTime: null });
    expect(first.run.empiricalPolicy.retryType).toBe("reschedule");
  });

  it("pause and resume: a blocking pause counts the resumed RUNNING", async () => {
    const driver = new Driver(new FakeFlowDeps(), makeFlowRun());
    await driver.propose({ type: "RUNNING" }, { force: true });
    const paused = await driver.propose({
      type: "PAUSED",
      stateDetails: { pauseKey: "1", pauseTimeout: at(3600) },
    });
    expect(paused.status).toBe("ACCEPT");
    expect(driver.run.empiricalPolicy.pauseKeys).toEqual(["1"]);

    const resumed = await driver.propose({ type: "RUNNING" });
    expect(resumed.status).toBe("ACCEPT");
    expect(driver.run.runCount).toBe(2);
    expect(driver.run.empiricalPolicy.resuming).toBe(true);

    const again = await driver.propose({ type: "PAUSED", stateDetails: { pauseKey: "1" } });
    expect(again.details).toEqual({
      type: "reject_details",
      reason: "This pause has already fired.",
    });
  });

  it("suspend and resume: the resumed RUNNING does not count", async () => {
    const { first } = deployedDrivers(5);
    await first.propose({ type: "RUNNING" }, { force: true });
    const suspended = await first.propose({
      type: "PAUSED",
      name: "Suspended",
      stateDetails: { pauseReschedule: true, pauseKey: "s" },
    });
    expect(suspended.status).toBe("ACCEPT");

    const resuming = await first.propose({ type: "SCHEDULED", name: "Resuming" });
    expect(resuming.status).toBe("ACCEPT");
    expect(first.run.empiricalPolicy.resuming).toBe(true);

    await first.propose({ type: "PENDING" });
    await first.propose({ type: "RUNNING" });
    expect(first.run.runCount).toBe(1);
    expect(first.run.empiricalPolicy.resuming).toBe(false);
  });

  it.each([
    { name: "without infrastructure → CANCELLED at once", pid: null, type: "CANCELLED" },
    {
      name: "with infrastructure → CANCELLING, then only CANCELLED",
      pid: "4242",
      type: "CANCELLING",
    },
  ])("cancel a scheduled run $name", async ({ pid, type }) => {
    const driver = new Driver(new FakeFlowDeps(), makeFlowRun({ infrastructurePid: pid }));
    await driver.propose({ type: "SCHEDULED" }, { force: true });
    const cancel = await driver.propose({ type: "CANCELLING" });
    expect(cancel.state?.type).toBe(type);
    if (type === "CANCELLING") {
      const late = await driver.propose({ type: "RUNNING" });
      expect(late.details).toEqual({
        type: "reject_details",
        reason: "Cannot transition flows that are cancelling to a state other than Cancelled.",
      });
      expect((await driver.propose({ type: "CANCELLED" })).status).toBe("ACCEPT");
    } else {
      expect(cancel.details).toEqual({
        type: "reject_details",
        reason: "Scheduled flow run has no infrastructure to terminate.",
      });
    }
  });

  it("late marking through MarkLateRunsPolicy, once", async () => {
    const driver = new Driver(new FakeFlowDeps(), makeFlowRun());
    await driver.propose(
      { type: "SCHEDULED", stateDetails: { scheduledTime: at(-60) } },
      { force: true },
    );
    const late = await driver.propose(
      { type: "SCHEDULED", name: "Late", stateDetails: { scheduledTime: at(-60) } },
      { policy: MarkLateRunsPolicy },
    );
    expect(late.status).toBe("ACCEPT");
    expect(driver.run.stateName).toBe("Late");
    const twice = await driver.propose(
      { type: "SCHEDULED", name: "Late" },
      { policy: MarkLateRunsPolicy },
    );
    expect(twice.details).toEqual({
      type: "reject_details",
      reason: "This flow run is already marked late.",
    });
  });

  it("§2.9 force still protects persisted results and still releases slots", async () => {
    const { deps, first } = deployedDrivers(1);
    await first.propose({ type: "SCHEDULED" }, { force: true });
    await first.propose({ type: "PENDING" });
    expect(deps.globalLimits.slots("limit-1")).toBe(1);
    await first.propose({ type: "COMPLETED", data: { storage_key: "k" } }, { force: true });
    expect(deps.globalLimits.slots("limit-1")).toBe(0);

    const overwrite = await first.propose({ type: "COMPLETED" }, { force: true });
    expect(overwrite.status).toBe("REJECT");
  });

  it("two states proposed at the same instant get distinct timestamps", async () => {
    const driver = new Driver(new FakeFlowDeps(), makeFlowRun());
    const a = await driver.propose({ type: "PENDING" }, { force: true });
    const b = await driver.propose({ type: "RUNNING" });
    expect(b.state?.timestamp.getTime()).toBe((a.state?.timestamp.getTime() ?? 0) + 1);
  });
});
