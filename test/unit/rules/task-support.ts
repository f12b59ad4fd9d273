/**
 * Test support for the task rules: in-memory fakes of the task ports that model the SQL
 * semantics documented in ports.ts (tag-limit holder rows with an expiry, set semantics,
 * a result cache ordered by creation, a parent flow-run reader), a fixed random source, a
 * deps bundle on the fake clock, and a helper that runs a task transition through the real
 * pipeline. Reuses the flow fakes for V2 limits and leases. Fresh objects per test.
 */
import {
  defaultTaskRunPolicy,
  type FlowRun,
  type State,
  type TagConcurrencyLimit,
  type TaskRun,
} from "../../../src/domain/index.ts";
import {
  ALL_ORCHESTRATION_STATES,
  type CacheEntry,
  defaultOrchestrationSettings,
  type FlowRunReader,
  type FlowRunWithState,
  type OrchestrationResult,
  OrchestrationRule,
  type OrchestrationSettings,
  type OrchestrationStepClass,
  orchestrateTransition,
  Policy,
  type RandomSource,
  type RunPolicies,
  type ScheduledTaskNotifier,
  type ScheduledTaskQueue,
  type StateWriter,
  type TagConcurrencyLimits,
  type TaskOrchestrationDeps,
  type TaskRunStateCache,
  type TaskRunStateTimestamps,
} from "../../../src/orchestration/index.ts";
import { FakeClock, makeFlowRun, SequentialIds } from "../orchestration/support.ts";
import { FakeGlobalLimits, FakeLeases } from "./support.ts";

export type TaskStep = OrchestrationStepClass<TaskRun, TaskOrchestrationDeps>;
export type TaskResult = OrchestrationResult<TaskRun, TaskOrchestrationDeps>;

/** A task run with defaults (in flow run "flow-run-1"). */
export function makeTaskRun(overrides: Partial<TaskRun> = {}): TaskRun {
  return {
    id: "task-run-1",
    flowRunId: "flow-run-1",
    name: "my-task-0",
    taskKey: "my_task",
    dynamicKey: "0",
    flowRunRunCount: 0,
    cacheKey: null,
    cacheExpiration: null,
    stateId: null,
    stateType: null,
    stateName: null,
    stateTimestamp: null,
    runCount: 0,
    expectedStartTime: null,
    nextScheduledStartTime: null,
    startTime: null,
    endTime: null,
    totalRunTime: 0,
    tags: [],
    empiricalPolicy: defaultTaskRunPolicy(),
    ...overrides,
  };
}

/** One holder row. */
interface Holder {
  readonly tag: string;
  readonly taskRunId: string;
  expiresAt: Date;
}

/** V1 tag limits whose slots are holder rows with an expiry (measured on the fake clock). */
export class FakeTagLimits implements TagConcurrencyLimits {
  readonly limits = new Map<string, number>();
  holders: Holder[] = [];
  readonly clock: FakeClock;
  locked: string[][] = [];

  constructor(clock: FakeClock) {
    this.clock = clock;
  }

  add(tag: string, limit: number, holders: readonly string[] = []): void {
    this.limits.set(tag, limit);
    for (const id of holders) this.holders.push({ tag, taskRunId: id, expiresAt: this.#in(300) });
  }

  /** The holder ids of `tag`, sorted. */
  holdersOf(tag: string): string[] {
    return this.holders
      .filter((h) => h.tag === tag)
      .map((h) => h.taskRunId)
      .sort();
  }

  expiryOf(tag: string, taskRunId: string): Date | undefined {
    return this.holders.find((h) => h.tag === tag && h.taskRunId === taskRunId)?.expiresAt;
  }

  async lockByTags(tags: readonly string[]): Promise<TagConcurrencyLimit[]> {
    const found = [...new Set(tags)].filter((t) => this.limits.has(t)).sort();
    this.locked.push(found);
    return found.map((tag) => ({
      id: `v1-${tag}`,
      tag,
      concurrencyLimit: this.limits.get(tag) ?? 0,
      activeSlots: this.holdersOf(tag),
    }));
  }

  async addHolder(tag: string, taskRunId: string, ttlSeconds: number): Promise<void> {
    const existing = this.holders.find((h) => h.tag === tag && h.taskRunId === taskRunId);
    if (existing) existing.expiresAt = this.#in(ttlSeconds);
    else this.holders.push({ tag, taskRunId, expiresAt: this.#in(ttlSeconds) });
  }

  async removeHolder(tag: string, taskRunId: string): Promise<void> {
    this.holders = this.holders.filter((h) => !(h.tag === tag && h.taskRunId === taskRunId));
  }

  async removeHolders(taskRunId: string): Promise<number> {
    const before = this.holders.length;
    this.holders = this.holders.filter((h) => h.taskRunId !== taskRunId);
    return before - this.holders.length;
  }

  async renewHolders(taskRunId: string, ttlSeconds: number): Promise<number> {
    const mine = this.holders.filter((h) => h.taskRunId === taskRunId);
    for (const h of mine) h.expiresAt = this.#in(ttlSeconds);
    return mine.length;
  }

  #in(seconds: number): Date {
    return new Date(this.clock.now().getTime() + seconds * 1000);
  }
}

/** Parent flow runs with their current state. */
export class FakeFlowRuns implements FlowRunReader {
  readonly rows = new Map<string, FlowRunWithState>();

  set(state: State | null, overrides: Partial<FlowRun> = {}): FlowRun {
    const run = makeFlowRun(overrides);
    this.rows.set(run.id, { run, state });
    return run;
  }

  async readFlowRun(id: string): Promise<FlowRunWithState | null> {
    return this.rows.get(id) ?? null;
  }
}

/** Cache rows, newest last; states by id (a missing state is a miss). */
export class FakeCache implements TaskRunStateCache {
  readonly entries: CacheEntry[] = [];
  readonly states = new Map<string, State>();

  seed(entry: CacheEntry, state: State | null): void {
    this.entries.push(entry);
    if (state) this.states.set(entry.taskRunStateId, state);
  }

  async findCachedState(cacheKey: string, now: Date): Promise<State | null> {
    const newest = this.entries
      .filter((e) => e.cacheKey === cacheKey)
      .filter((e) => e.cacheExpiration === null || e.cacheExpiration.getTime() > now.getTime())
      .at(-1);
    return newest ? (this.states.get(newest.taskRunStateId) ?? null) : null;
  }

  async insertCacheEntry(entry: CacheEntry): Promise<void> {
    this.entries.push(entry);
  }
}

export class FakeTaskStateTimestamps implements TaskRunStateTimestamps {
  readonly taken = new Set<string>();
  take(runId: string, timestamp: Date): void {
    this.taken.add(`${runId}@${timestamp.getTime()}`);
  }
  async hasStateAt(runId: string, timestamp: Date): Promise<boolean> {
    return this.taken.has(`${runId}@${timestamp.getTime()}`);
  }
}

/** Returns the given values in turn (then repeats the last); 0.5 by default. */
export class FixedRandom implements RandomSource {
  readonly values: number[];
  draws = 0;
  constructor(...values: number[]) {
    this.values = values.length > 0 ? values : [0.5];
  }
  random(): number {
    const value = this.values[Math.min(this.draws, this.values.length - 1)] ?? 0.5;
    this.draws += 1;
    return value;
  }
}

export class FakeNotifier implements ScheduledTaskNotifier {
  readonly notified: { taskRunId: string; queue: ScheduledTaskQueue }[] = [];
  async notifyScheduled(taskRun: TaskRun, queue: ScheduledTaskQueue): Promise<void> {
    this.notified.push({ taskRunId: taskRun.id, queue });
  }
}

/** All task ports, as fakes. */
export class FakeTaskDeps implements TaskOrchestrationDeps {
  readonly clock = new FakeClock();
  readonly ids = new SequentialIds();
  settings: OrchestrationSettings = defaultOrchestrationSettings();
  readonly flowRuns = new FakeFlowRuns();
  readonly taskRunStates = new FakeTaskStateTimestamps();
  readonly tagLimits = new FakeTagLimits(this.clock);
  readonly globalLimits = new FakeGlobalLimits();
  readonly leases = new FakeLeases(this.clock);
  readonly cache = new FakeCache();
  random = new FixedRandom();
  scheduledTasks: ScheduledTaskNotifier | undefined = new FakeNotifier();

  /** Add a V2 tag limit `tag:<tag>` with id `v2-<tag>`. */
  addTagLimitV2(
    tag: string,
    limit: number,
    init: { activeSlots?: number; active?: boolean; avgSlotOccupancySeconds?: number } = {},
  ): void {
    this.globalLimits.add(`v2-${tag}`, limit, { name: `tag:${tag}`, ...init });
  }
}

/** Records written task states; can be told to fail. */
export class FakeTaskStateWriter implements StateWriter<TaskRun> {
  readonly written: State[] = [];
  failure: Error | null = null;
  readonly deps: FakeTaskDeps | undefined;

  constructor(deps?: FakeTaskDeps) {
    this.deps = deps;
  }

  async writeState(run: TaskRun, state: State): Promise<State> {
    if (this.failure !== null) throw this.failure;
    this.written.push(state);
    this.deps?.taskRunStates.take(run.id, state.timestamp);
    run.stateId = state.id;
    return structuredClone(state);
  }

  isRetryableError(): boolean {
    return false;
  }
}

/** One task transition through `orchestrateTransition`. */
export interface TaskTransition {
  readonly initial: State | null;
  readonly proposed: State | null;
  readonly rules?: readonly TaskStep[];
  readonly transforms?: readonly TaskStep[];
  readonly policy?: Policy<TaskRun, TaskOrchestrationDeps>;
  readonly policies?: RunPolicies<TaskRun, TaskOrchestrationDeps>;
  readonly force?: boolean;
  readonly run?: TaskRun;
  readonly deps?: FakeTaskDeps;
  readonly writer?: StateWriter<TaskRun>;
}

/**
 * Run one task transition: `rules` as the requested policy and `transforms` as the global
 * one, unless `policy`/`policies` are given (the real ones, for pipeline tests).
 */
export function runTask(setup: TaskTransition): Promise<TaskResult> {
  const deps = setup.deps ?? new FakeTaskDeps();
  return orchestrateTransition<TaskRun, TaskOrchestrationDeps>({
    run: setup.run ?? makeTaskRun(),
    initialState: setup.initial,
    proposedState: setup.proposed,
    policies: setup.policies ?? {
      global: new Policy("TestGlobalPolicy", setup.transforms ?? []),
      minimal: new Policy("TestMinimalPolicy", []),
    },
    policy: setup.policy ?? new Policy("TestPolicy", setup.rules ?? []),
    force: setup.force ?? false,
    deps,
    stateWriter: setup.writer ?? new FakeTaskStateWriter(deps),
  });
}

/** A task rule (FROM/TO all) that ends every transition the given way; for fizzling others. */
export function taskEndingRule(
  name: string,
  end: { abort: string } | { delay: number; reason: string } | { raise: Error },
): TaskStep {
  return class extends OrchestrationRule<TaskRun, TaskOrchestrationDeps> {
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
