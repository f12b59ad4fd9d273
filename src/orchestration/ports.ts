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
import type { Deployment, FlowRun, JsonValue, State, TaskRun } from "../domain/index.ts";
import type {
  GlobalConcurrencyLimits,
  LeaseHolding,
  LeaseStore,
  TagConcurrencyLimits,
} from "./concurrency-ports.ts";
import type { OrchestrationSettings } from "./settings.ts";

export type { GlobalConcurrencyLimits, LeaseHolding, LeaseStore, TagConcurrencyLimits };

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
 * caller's transaction (set the run's `stateId`; the row is written at once, or by the
 * transaction's final flush), returning the state as stored.
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

/**
 * Whether a flow run already has a state row at an exact timestamp (the unique index
 * `(flow_run_id, timestamp)`; EnsureFlowRunStateTimestampIsUnique). No lock needed: the run
 * row is locked, so no other transaction adds states to this run meanwhile. May answer
 * from states written earlier in the same transaction.
 */
export interface FlowRunStateTimestamps {
  hasStateAt(flowRunId: string, timestamp: Date): Promise<boolean>;
}

/**
 * Reads a deployment with its V2 limit (`concurrencyLimit`, the row `concurrencyLimitId`
 * points at, or `null` when missing) and its concurrency options. No lock: the limit's
 * numbers are informative (the limit-0 check, the CANCEL_NEW check of late runs); slot
 * accounting goes through {@link GlobalConcurrencyLimits}, whose writes lock.
 */
export interface DeploymentReader {
  readDeployment(deploymentId: string): Promise<Deployment | null>;
}

/** A task-run cache entry to insert. */
export interface CacheEntry {
  readonly cacheKey: string;
  readonly cacheExpiration: Date | null;
  readonly taskRunStateId: string;
}

/** The task-run result cache (`task_run_state_cache`, spec §1.4). */
export interface TaskRunStateCache {
  /**
   * The state (with its data) of the newest entry (`created DESC`) for `cacheKey` whose
   * `cache_expiration` is null or later than `now`; `null` when there is none, or when the
   * state row that newest entry points at no longer exists (a miss: no fallback to older
   * entries). No lock.
   */
  findCachedState(cacheKey: string, now: Date): Promise<State | null>;
  /** Insert a cache row in the transition's transaction. */
  insertCacheEntry(entry: CacheEntry): Promise<void>;
}

/**
 * Whether a task run already has a state row at an exact timestamp (the unique index
 * `(task_run_id, timestamp)`; EnsureTaskRunStateTimestampIsUnique, Fix §8.2.5). No lock
 * needed: the task-run row is locked (Fix §8.2.3), so no other transaction adds states to
 * this run meanwhile. Must see states written earlier in the same transaction.
 */
export interface TaskRunStateTimestamps {
  hasStateAt(taskRunId: string, timestamp: Date): Promise<boolean>;
}

/**
 * Uniform random numbers in [0, 1) for jittered intervals (RetryFailedTasks' retry jitter,
 * SecureTaskConcurrencySlots' WAIT delay). Production passes `{ random: Math.random }`;
 * tests pass a fixed sequence, so delays are exact.
 */
export interface RandomSource {
  random(): number;
}

/** Which background-task queue a deferred task run goes to (EnqueueScheduledTasks). */
export type ScheduledTaskQueue = "scheduled" | "retry";

/**
 * Optional hook for EnqueueScheduledTasks (preface "Replace"): there is no in-memory queue;
 * a deferred task run that commits into SCHEDULED is visible to task workers through its
 * committed state (WatchTaskRun). An implementation may additionally signal workers, but
 * only transactionally (e.g. `pg_notify` inside the transaction, delivered on commit), so a
 * rolled-back transition is never announced.
 */
export interface ScheduledTaskNotifier {
  notifyScheduled(taskRun: TaskRun, queue: ScheduledTaskQueue): Promise<void>;
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

/**
 * The transactional outbox: `append` inserts the event in the transition's transaction, so
 * an event exists iff its transition committed (preface "Replace"). Events of one run are
 * appended in commit order (the run row is locked).
 */
export interface EventOutbox {
  append(event: RunStateEvent): Promise<void>;
}

/**
 * The related resources of a flow run's state events (spec §4.1,
 * InstrumentFlowRunStateTransitions), already in the event's order: flow (role `flow`),
 * deployment, work queue, work pool (with `prefect.work-pool.type`), parent task run, then
 * one `prefect.tag.<tag>` (role `tag`) per distinct tag of the flow run, flow, deployment
 * and parent task run, sorted, then the creator (`created_by` of type DEPLOYMENT or
 * AUTOMATION). Missing objects are left out. Each entry holds at least
 * `prefect.resource.id` and `prefect.resource.role`. May cache per flow run id.
 */
export interface RelatedResourceReader {
  readRelatedResources(flowRun: FlowRun): Promise<Readonly<Record<string, string>>[]>;
}

/**
 * Nested orchestration (spec §2.10, UpdateSubflowParentTask): mirror a subflow's committed
 * state onto its parent task run, within the same transaction. The implementation runs the
 * task-run pipeline with `force = true` (MinimalTaskPolicy, or BackgroundTaskPolicy when
 * `state.stateDetails.deferred`) and GlobalTaskPolicy, locking the task run row first.
 * `state` is already a fresh copy (new id, timestamp now) with `childFlowRunId` set; the
 * implementation may keep it. A missing task run is ignored.
 */
export interface SubflowParentTasks {
  forceParentTaskState(taskRunId: string, state: State): Promise<void>;
}

/** What every rule may use. */
export interface CoreDeps {
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** What flow-run policies use. */
export interface FlowOrchestrationDeps extends CoreDeps {
  readonly settings: OrchestrationSettings;
  readonly flowRunStates: FlowRunStateTimestamps;
  readonly deployments: DeploymentReader;
  readonly globalLimits: GlobalConcurrencyLimits;
  readonly leases: LeaseStore;
  readonly events: EventOutbox;
  readonly relatedResources: RelatedResourceReader;
  /** Absent until task runs exist: UpdateSubflowParentTask then does nothing. */
  readonly subflowParentTasks?: SubflowParentTasks | undefined;
}

/** What task-run policies use. */
export interface TaskOrchestrationDeps extends CoreDeps {
  readonly settings: OrchestrationSettings;
  /** The parent flow run (no lock), for the task rules that look at it. */
  readonly flowRuns: FlowRunReader;
  readonly taskRunStates: TaskRunStateTimestamps;
  readonly tagLimits: TagConcurrencyLimits;
  /** V2 limits: tag limits are the ones named `tag:<tag>`. */
  readonly globalLimits: GlobalConcurrencyLimits;
  /** Leases of V2 tag slots, held by `{type: "task_run", id}`. */
  readonly leases: LeaseStore;
  readonly cache: TaskRunStateCache;
  readonly random: RandomSource;
  /** Absent: EnqueueScheduledTasks signals nothing beyond the committed state. */
  readonly scheduledTasks?: ScheduledTaskNotifier | undefined;
}
