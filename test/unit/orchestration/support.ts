/**
 * Test support for the engine: fake ports, a fake clock, state and run factories, and
 * builders for rules and transforms whose hooks are given inline and logged.
 * Factories return fresh objects on every call; nothing here is shared between tests.
 */
import {
  buildState,
  copyState,
  defaultFlowRunPolicy,
  type FlowRun,
  type JsonValue,
  type State,
  type StateInit,
  type StateType,
} from "../../../src/domain/index.ts";
import {
  ALL_ORCHESTRATION_STATES,
  type Clock,
  type CoreDeps,
  type IdGenerator,
  type OrchestrationContext,
  type OrchestrationResult,
  OrchestrationRule,
  type OrchestrationStepClass,
  orchestrateTransition,
  Policy,
  type StateTypeSet,
  type StateWriter,
  UniversalTransform,
} from "../../../src/orchestration/index.ts";

export type Ctx = OrchestrationContext<FlowRun, CoreDeps>;
export type StepClass = OrchestrationStepClass<FlowRun, CoreDeps>;

export const T0 = new Date("2026-08-21T12:00:00.000Z");

/** A clock that only moves when told to. */
export class FakeClock implements Clock {
  current: Date;
  constructor(now: Date = T0) {
    this.current = now;
  }
  now(): Date {
    return new Date(this.current);
  }
}

/** Ids "id-1", "id-2", ... */
export class SequentialIds implements IdGenerator {
  #next = 1;
  newId(): string {
    return `id-${this.#next++}`;
  }
}

/** Records written states; can be told to fail. */
export class FakeStateWriter implements StateWriter<FlowRun> {
  readonly written: State[] = [];
  failure: { readonly error: unknown; readonly retryable: boolean } | null = null;

  async writeState(run: FlowRun, state: State): Promise<State> {
    if (this.failure !== null) throw this.failure.error;
    this.written.push(state);
    run.stateId = state.id;
    // A real store hands back what it read back, never the proposal object itself.
    return copyState(state);
  }

  isRetryableError(error: unknown): boolean {
    return this.failure !== null && this.failure.error === error && this.failure.retryable;
  }
}

let stateCounter = 0;

/** A state of `type` at T0 with a unique id. */
export function makeState(type: StateType, init: Omit<StateInit, "type"> = {}): State {
  stateCounter += 1;
  return buildState({ type, ...init }, `state-${stateCounter}`, T0);
}

/** A flow run with defaults. */
export function makeFlowRun(overrides: Partial<FlowRun> = {}): FlowRun {
  return {
    id: "flow-run-1",
    flowId: "flow-1",
    name: "graceful-otter",
    deploymentId: null,
    parentTaskRunId: null,
    infrastructurePid: null,
    workQueueId: null,
    idempotencyKey: null,
    createdBy: null,
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
    empiricalPolicy: defaultFlowRunPolicy(),
    ...overrides,
  };
}

/** The primitives of a test rule, callable from inline hooks. */
export interface RuleApi {
  readonly rule: OrchestrationRule<FlowRun, CoreDeps>;
  reject(state: State | null, reason: string): void;
  delay(seconds: number, reason: string): void;
  abort(reason: string): void;
  rename(name: string): void;
  setParameter(key: string, value: JsonValue): void;
}

type RuleHook = (api: RuleApi, initial: State | null, state: State | null, ctx: Ctx) => unknown;

export interface RuleSpec {
  readonly from?: StateTypeSet;
  readonly to?: StateTypeSet;
  readonly before?: RuleHook;
  readonly after?: RuleHook;
  readonly cleanup?: RuleHook;
}

/** A rule class named `name` (FROM/TO default to all states) that logs "name.hook". */
export function defineRule(name: string, log: string[], spec: RuleSpec = {}): StepClass {
  return class extends OrchestrationRule<FlowRun, CoreDeps> {
    static override readonly ruleName = name;
    static override readonly FROM_STATES = spec.from ?? ALL_ORCHESTRATION_STATES;
    static override readonly TO_STATES = spec.to ?? ALL_ORCHESTRATION_STATES;

    readonly api: RuleApi = {
      rule: this,
      reject: (state, reason) => this.rejectTransition(state, reason),
      delay: (seconds, reason) => this.delayTransition(seconds, reason),
      abort: (reason) => this.abortTransition(reason),
      rename: (newName) => this.renameState(newName),
      setParameter: (key, value) => this.updateContextParameters(key, value),
    };

    protected override async beforeTransition(i: State | null, p: State | null, c: Ctx) {
      log.push(`${name}.before`);
      await spec.before?.(this.api, i, p, c);
    }

    protected override async afterTransition(i: State | null, v: State | null, c: Ctx) {
      log.push(`${name}.after`);
      await spec.after?.(this.api, i, v, c);
    }

    protected override async cleanup(i: State | null, v: State | null, c: Ctx) {
      log.push(`${name}.cleanup`);
      await spec.cleanup?.(this.api, i, v, c);
    }
  };
}

export interface TransformSpec {
  readonly before?: (ctx: Ctx) => unknown;
  readonly after?: (ctx: Ctx) => unknown;
}

/** A universal transform class named `name` that logs "name.before"/"name.after". */
export function defineTransform(name: string, log: string[], spec: TransformSpec = {}): StepClass {
  return class extends UniversalTransform<FlowRun, CoreDeps> {
    static override readonly ruleName = name;

    protected override async beforeTransition(c: Ctx) {
      log.push(`${name}.before`);
      await spec.before?.(c);
    }

    protected override async afterTransition(c: Ctx) {
      log.push(`${name}.after`);
      await spec.after?.(c);
    }
  };
}

export interface TransitionSetup {
  readonly initial: State | null;
  readonly proposed: State | null;
  readonly rules?: readonly StepClass[];
  readonly transforms?: readonly StepClass[];
  readonly run?: FlowRun;
  readonly writer?: FakeStateWriter;
  readonly parameters?: Record<string, JsonValue>;
}

/** Run one transition through `TestPolicy` (the rules) and `TestGlobalPolicy` (the transforms). */
export function runTransition(
  setup: TransitionSetup,
): Promise<OrchestrationResult<FlowRun, CoreDeps>> {
  return orchestrateTransition({
    run: setup.run ?? makeFlowRun(),
    initialState: setup.initial,
    proposedState: setup.proposed,
    policies: {
      global: new Policy("TestGlobalPolicy", setup.transforms ?? []),
      minimal: new Policy("TestMinimalPolicy", []),
    },
    policy: new Policy("TestPolicy", setup.rules ?? []),
    parameters: setup.parameters ?? {},
    deps: { clock: new FakeClock(), ids: new SequentialIds() },
    stateWriter: setup.writer ?? new FakeStateWriter(),
  });
}
