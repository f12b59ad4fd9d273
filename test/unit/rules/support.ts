/**
 * Test support for the flow rules: in-memory fakes of the flow ports that model the SQL
 * semantics documented in ports.ts (all-or-nothing increments that require `active`,
 * decrements that ignore it, leases with holders), a deps bundle built on the fake clock,
 * and helpers that run rules through the real pipeline.
 * Everything is created fresh per test; nothing is shared.
 */
import {
  type ConcurrencyLease,
  type ConcurrencyOptions,
  type Deployment,
  defaultFlowRunPolicy,
  type FlowRun,
  type FlowRunPolicy,
  type GlobalConcurrencyLimit,
  type JsonValue,
  type LeaseHolder,
  type LeaseMetadata,
  type State,
} from "../../../src/domain/index.ts";
import {
  ALL_ORCHESTRATION_STATES,
  type DeploymentReader,
  defaultOrchestrationSettings,
  type EventOutbox,
  type FlowOrchestrationDeps,
  type FlowRunStateTimestamps,
  type GlobalConcurrencyLimits,
  type LeaseHolding,
  type LeaseStore,
  type OrchestrationResult,
  OrchestrationRule,
  type OrchestrationSettings,
  type OrchestrationStepClass,
  orchestrateTransition,
  Policy,
  type RelatedResourceReader,
  type RunPolicies,
  type RunStateEvent,
  type SubflowParentTasks,
} from "../../../src/orchestration/index.ts";
import {
  FakeClock,
  FakeStateWriter,
  makeFlowRun,
  SequentialIds,
} from "../orchestration/support.ts";

export {
  FakeClock,
  FakeStateWriter,
  makeFlowRun,
  makeState,
  T0,
} from "../orchestration/support.ts";

export type FlowStep = OrchestrationStepClass<FlowRun, FlowOrchestrationDeps>;
export type FlowResult = OrchestrationResult<FlowRun, FlowOrchestrationDeps>;

/** `T0 + seconds`. */
export function at(seconds: number, base: Date = new Date("2026-08-21T12:00:00.000Z")): Date {
  return new Date(base.getTime() + seconds * 1000);
}

/** V2 limits in memory, with the semantics of ports.ts (no decay: the fake clock is frozen). */
export class FakeGlobalLimits implements GlobalConcurrencyLimits {
  readonly limits = new Map<string, GlobalConcurrencyLimit>();

  add(id: string, limit: number, init: Partial<GlobalConcurrencyLimit> = {}): void {
    this.limits.set(id, {
      id,
      name: `deployment:${id}`,
      active: true,
      limit,
      activeSlots: 0,
      deniedSlots: 0,
      slotDecayPerSecond: 0,
      avgSlotOccupancySeconds: 2,
      updated: new Date(0),
      ...init,
    });
  }

  slots(id: string): number {
    return this.limits.get(id)?.activeSlots ?? Number.NaN;
  }

  async readByNames(names: readonly string[]): Promise<GlobalConcurrencyLimit[]> {
    return [...this.limits.values()].filter((l) => names.includes(l.name));
  }

  async incrementActiveSlots(ids: readonly string[], slots: number): Promise<boolean> {
    const rows = ids.map((id) => this.limits.get(id));
    if (rows.some((r) => !r?.active || r.activeSlots + slots > r.limit)) return false;
    for (const row of rows) if (row) this.#set(row, row.activeSlots + slots);
    return true;
  }

  async decrementActiveSlots(ids: readonly string[], slots: number): Promise<boolean> {
    const rows = ids.map((id) => this.limits.get(id));
    if (rows.some((r) => !r)) return false;
    for (const row of rows) if (row) this.#set(row, Math.max(0, row.activeSlots - slots));
    return true;
  }

  #set(row: GlobalConcurrencyLimit, activeSlots: number): void {
    this.limits.set(row.id, { ...row, activeSlots });
  }
}

/** Leases in memory; expiration is measured on the fake clock. */
export class FakeLeases implements LeaseStore {
  readonly leases = new Map<string, ConcurrencyLease>();
  readonly clock: FakeClock;
  #next = 1;

  constructor(clock: FakeClock) {
    this.clock = clock;
  }

  async createLease(
    resourceIds: readonly string[],
    ttlSeconds: number,
    metadata: LeaseMetadata,
  ): Promise<ConcurrencyLease> {
    const now = this.clock.now();
    const lease: ConcurrencyLease = {
      id: `lease-${this.#next++}`,
      resourceIds: [...resourceIds],
      expiration: new Date(now.getTime() + ttlSeconds * 1000),
      createdAt: now,
      metadata,
    };
    this.leases.set(lease.id, lease);
    return lease;
  }

  /** Put a lease in place directly (a lease taken by an earlier transition). */
  seed(id: string, limitId: string, holder: LeaseHolder | null, expiresIn = 300): void {
    this.leases.set(id, {
      id,
      resourceIds: [limitId],
      expiration: new Date(this.clock.now().getTime() + expiresIn * 1000),
      createdAt: this.clock.now(),
      metadata: { slots: 1, holder },
    });
  }

  async readLease(id: string): Promise<ConcurrencyLease | null> {
    return this.leases.get(id) ?? null;
  }

  async renewLease(id: string, ttlSeconds: number): Promise<boolean> {
    const lease = this.leases.get(id);
    if (!lease) return false;
    const expiration = new Date(this.clock.now().getTime() + ttlSeconds * 1000);
    this.leases.set(id, { ...lease, expiration });
    return true;
  }

  async revokeLease(id: string): Promise<void> {
    this.leases.delete(id);
  }

  async listHolders(limitId: string): Promise<LeaseHolding[]> {
    const now = this.clock.now().getTime();
    return [...this.leases.values()]
      .filter((l) => l.resourceIds.includes(limitId) && l.expiration.getTime() > now)
      .flatMap((l) => (l.metadata.holder ? [{ leaseId: l.id, holder: l.metadata.holder }] : []));
  }

  async readLeasesHeldBy(limitId: string, holder: LeaseHolder): Promise<ConcurrencyLease[]> {
    return [...this.leases.values()].filter(
      (l) =>
        l.resourceIds.includes(limitId) &&
        l.metadata.holder?.type === holder.type &&
        l.metadata.holder.id === holder.id,
    );
  }
}

/** Deployments whose limit is read live from the fake limits. */
export class FakeDeployments implements DeploymentReader {
  readonly rows = new Map<string, { limitId: string | null; options: ConcurrencyOptions | null }>();
  readonly limits: FakeGlobalLimits;
  reads = 0;

  constructor(limits: FakeGlobalLimits) {
    this.limits = limits;
  }

  add(id: string, limitId: string | null = null, options: ConcurrencyOptions | null = null) {
    this.rows.set(id, { limitId, options });
  }

  async readDeployment(id: string): Promise<Deployment | null> {
    this.reads += 1;
    const row = this.rows.get(id);
    if (!row) return null;
    const limit = row.limitId === null ? null : (this.limits.limits.get(row.limitId) ?? null);
    return {
      id,
      name: `deployment ${id}`,
      concurrencyLimitId: row.limitId,
      concurrencyLimit: limit,
      concurrencyOptions: row.options,
    };
  }
}

/** Timestamps of states already stored, per run. */
export class FakeStateTimestamps implements FlowRunStateTimestamps {
  readonly taken = new Set<string>();

  take(runId: string, timestamp: Date): void {
    this.taken.add(`${runId}@${timestamp.getTime()}`);
  }

  async hasStateAt(runId: string, timestamp: Date): Promise<boolean> {
    return this.taken.has(`${runId}@${timestamp.getTime()}`);
  }
}

export class FakeOutbox implements EventOutbox {
  readonly events: RunStateEvent[] = [];
  async append(event: RunStateEvent): Promise<void> {
    this.events.push(event);
  }
}

export class FakeRelatedResources implements RelatedResourceReader {
  related: Record<string, string>[] = [];
  async readRelatedResources(): Promise<Record<string, string>[]> {
    return this.related;
  }
}

export class FakeSubflowParentTasks implements SubflowParentTasks {
  readonly forced: { taskRunId: string; state: State }[] = [];
  async forceParentTaskState(taskRunId: string, state: State): Promise<void> {
    this.forced.push({ taskRunId, state });
  }
}

/** All flow ports, as fakes. */
export class FakeFlowDeps implements FlowOrchestrationDeps {
  readonly clock = new FakeClock();
  readonly ids = new SequentialIds();
  settings: OrchestrationSettings = defaultOrchestrationSettings();
  readonly flowRunStates = new FakeStateTimestamps();
  readonly globalLimits = new FakeGlobalLimits();
  readonly deployments = new FakeDeployments(this.globalLimits);
  readonly leases = new FakeLeases(this.clock);
  readonly events = new FakeOutbox();
  readonly relatedResources = new FakeRelatedResources();
  subflowParentTasks: SubflowParentTasks | undefined = new FakeSubflowParentTasks();
}

/** One transition through `orchestrateTransition`. */
export interface FlowTransition {
  readonly initial: State | null;
  readonly proposed: State | null;
  readonly rules?: readonly FlowStep[];
  readonly transforms?: readonly FlowStep[];
  readonly policy?: Policy<FlowRun, FlowOrchestrationDeps>;
  readonly policies?: RunPolicies<FlowRun, FlowOrchestrationDeps>;
  readonly force?: boolean;
  readonly run?: FlowRun;
  readonly deps?: FakeFlowDeps;
  readonly writer?: FakeStateWriter;
  readonly parameters?: Record<string, JsonValue>;
}

/**
 * Run one flow transition: `rules` as the requested policy and `transforms` as the global
 * one, unless `policy`/`policies` are given (the real ones, for pipeline tests).
 */
export function runFlow(setup: FlowTransition): Promise<FlowResult> {
  const deps = setup.deps ?? new FakeFlowDeps();
  return orchestrateTransition<FlowRun, FlowOrchestrationDeps>({
    run: setup.run ?? makeFlowRun(),
    initialState: setup.initial,
    proposedState: setup.proposed,
    policies: setup.policies ?? {
      global: new Policy("TestGlobalPolicy", setup.transforms ?? []),
      minimal: new Policy("TestMinimalPolicy", []),
    },
    policy: setup.policy ?? new Policy("TestPolicy", setup.rules ?? []),
    force: setup.force ?? false,
    parameters: setup.parameters ?? {},
    deps,
    stateWriter: setup.writer ?? new FakeStateWriter(),
  });
}

/** The status and details of a result, for one `toEqual`. */
export function outcome(result: FlowResult): { status: string; details: unknown } {
  return { status: result.status, details: result.details };
}

/** A rule (FROM/TO all) that ends every transition the given way; for fizzling others. */
export function endingRule(
  name: string,
  end: { abort: string } | { delay: number; reason: string } | { raise: Error },
): FlowStep {
  return class extends OrchestrationRule<FlowRun, FlowOrchestrationDeps> {
    static override readonly ruleName = name;
    static override readonly FROM_STATES = ALL_ORCHESTRATION_STATES;
    static override readonly TO_STATES = ALL_ORCHESTRATION_STATES;
    protected override async beforeTransition(): Promise<void> {
      if ("abort" in end) this.abortTransition(end.abort);
      else if ("delay" in end) this.delayTransition(end.delay, end.reason);
      else throw end.raise;
    }
  };
}

/** A flow-run policy with `retries` and no delay. */
export function defaultPolicyWithRetries(retries: number): FlowRunPolicy {
  return { ...defaultFlowRunPolicy(), retries, retryDelay: 0 };
}
