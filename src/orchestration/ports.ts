/**
 * Ports: everything the engine and its rules need from the outside world, as small
 * interfaces with one concern each.
 *
 * The engine is pure; persistence implements these ports inside the transition's single
 * database transaction (a forked MikroORM EntityManager), so whatever a rule writes through
 * a port commits or rolls back together with the state row. Rules never issue SQL.
 *
 * How ports reach the code that uses them:
 * - the validate step's {@link StateWriter} is passed to `orchestrateTransition` directly,
 *   because it belongs to the engine, not to any rule;
 * - everything rules use travels as one `deps` object on the context (`context.deps`), typed
 *   per run kind: {@link FlowOrchestrationDeps} for flow policies, {@link TaskOrchestrationDeps}
 *   for task policies, {@link CoreDeps} for rules that work on both. A rule declares the
 *   narrowest deps type it needs, so a fake in a unit test provides only that.
 */
import type {
  ConcurrencyLease,
  Deployment,
  FlowRun,
  GlobalConcurrencyLimit,
  JsonValue,
  LeaseHolder,
  LeaseMetadata,
  State,
  TagConcurrencyLimit,
} from "../domain/index.ts";

/** The current time. Injected so tests assert exact delays with a fake clock. */
export interface Clock {
  now(): Date;
}

/** New ids (UUIDv7) for states that rules create, and for random pause keys. */
export interface IdGenerator {
  newId(): string;
}

/**
 * The validate step (spec §2.7): persist `state` as the run's new current state inside the
 * caller's transaction and flush (set the run's `stateId`), returning the state as stored.
 * May throw; `isRetryableError` says which errors are transient database faults (serialization
 * failure, deadlock, lock timeout, lost connection): those are rethrown for the caller to
 * retry, every other error turns the transition into ABORT "Error validating state: …".
 */
export interface StateWriter<R> {
  writeState(run: R, state: State): Promise<State>;
  isRetryableError(error: unknown): boolean;
}

/** A flow run together with its current state. */
export interface FlowRunWithState {
  readonly run: FlowRun;
  readonly state: State | null;
}

/** Reads a flow run by id without locking it (a task's parent flow run). */
export interface FlowRunReader {
  readFlowRun(flowRunId: string): Promise<FlowRunWithState | null>;
}

/** Whether a flow run already has a state row at an exact timestamp (unique index). */
export interface FlowRunStateTimestamps {
  hasStateAt(flowRunId: string, timestamp: Date): Promise<boolean>;
}

/** Reads a deployment with its V2 limit and concurrency options. */
export interface DeploymentReader {
  readDeployment(deploymentId: string): Promise<Deployment | null>;
}

/** Global (V2) concurrency limits: decay-aware, all-or-nothing slot accounting. */
export interface GlobalConcurrencyLimits {
  readByNames(names: readonly string[]): Promise<GlobalConcurrencyLimit[]>;
  /** Take `slots` on every limit or on none; `false` when any is full or inactive. */
  incrementActiveSlots(limitIds: readonly string[], slots: number): Promise<boolean>;
  /** Give back `slots` on every limit; `false` when any is missing or inactive. */
  decrementActiveSlots(
    limitIds: readonly string[],
    slots: number,
    occupancySeconds?: number,
  ): Promise<boolean>;
}

/** Tag (V1) concurrency limits, whose slots are the ids of the task runs holding them. */
export interface TagConcurrencyLimits {
  /** The limits for `tags`, row-locked, ordered by tag. */
  lockByTags(tags: readonly string[]): Promise<TagConcurrencyLimit[]>;
  addHolder(tag: string, taskRunId: string): Promise<void>;
  removeHolder(tag: string, taskRunId: string): Promise<void>;
}

/** A lease holder found on a limit. */
export interface LeaseHolding {
  readonly leaseId: string;
  readonly holder: LeaseHolder;
}

/** Concurrency leases (stored in PostgreSQL, inside the transition's transaction). */
export interface LeaseStore {
  createLease(
    resourceIds: readonly string[],
    ttlSeconds: number,
    metadata: LeaseMetadata,
  ): Promise<ConcurrencyLease>;
  /** Also returns expired leases that were not reaped yet. */
  readLease(leaseId: string): Promise<ConcurrencyLease | null>;
  /** `false` when the lease is unknown. */
  renewLease(leaseId: string, ttlSeconds: number): Promise<boolean>;
  /** Idempotent. */
  revokeLease(leaseId: string): Promise<void>;
  /** Unexpired leases on `limitId` that have a holder. */
  listHolders(limitId: string): Promise<LeaseHolding[]>;
}

/** A task-run cache entry to insert. */
export interface CacheEntry {
  readonly cacheKey: string;
  readonly cacheExpiration: Date | null;
  readonly taskRunStateId: string;
}

/** The task-run result cache. */
export interface TaskRunStateCache {
  /** The state of the newest unexpired entry for `cacheKey`, or `null`. */
  findCachedState(cacheKey: string, now: Date): Promise<State | null>;
  insertCacheEntry(entry: CacheEntry): Promise<void>;
}

/** An event describing a committed transition. */
export interface RunStateEvent {
  readonly event: string;
  readonly id: string;
  readonly occurred: Date;
  readonly follows: string | null;
  readonly resource: Readonly<Record<string, string>>;
  readonly related: readonly Readonly<Record<string, string>>[];
  readonly payload: JsonValue;
}

/** The transactional outbox: an event exists iff its transition committed. */
export interface EventOutbox {
  append(event: RunStateEvent): Promise<void>;
}

/** The related resources (flow, deployment, work queue/pool, tags, creator) of a flow run's events. */
export interface RelatedResourceReader {
  readRelatedResources(flowRun: FlowRun): Promise<Readonly<Record<string, string>>[]>;
}

/**
 * Nested orchestration (spec §2.10): force a state onto a task run within the same
 * transaction (a subflow's state mirrored onto its parent task run).
 */
export interface TaskRunStateForcer {
  forceTaskRunState(taskRunId: string, state: State): Promise<void>;
}

/** What every rule may use. */
export interface CoreDeps {
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** What flow-run policies use. */
export interface FlowOrchestrationDeps extends CoreDeps {
  readonly flowRunStates: FlowRunStateTimestamps;
  readonly deployments: DeploymentReader;
  readonly globalLimits: GlobalConcurrencyLimits;
  readonly leases: LeaseStore;
  readonly events: EventOutbox;
  readonly relatedResources: RelatedResourceReader;
  readonly taskRunStates: TaskRunStateForcer;
}

/** What task-run policies use. */
export interface TaskOrchestrationDeps extends CoreDeps {
  readonly flowRuns: FlowRunReader;
  readonly tagLimits: TagConcurrencyLimits;
  readonly globalLimits: GlobalConcurrencyLimits;
  readonly leases: LeaseStore;
  readonly cache: TaskRunStateCache;
}
