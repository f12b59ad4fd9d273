/**
 * What the background services (src/services) need from persistence, as small ports.
 *
 * The services find candidates with plain reads, then propose each transition through
 * {@link FlowRunUseCases.setState} (task runs: `TaskRunUseCases.setState`), the path of
 * every proposal: a candidate is only a hint, so each one carries the id of the state it was
 * selected in, and the proposal is dropped unless the run is still in that state once its
 * row is locked. Reaping expired leases is
 * (and expired tag-slot holders) is the one write the services make outside orchestration;
 * it is a port of its own because it must delete the lease and give its slots back in one
 * transaction.
 *
 * @see ./flow-runs.ts
 */

/** A run selected by a service, with the state it was in when selected. */
export interface RunInState {
  readonly flowRunId: string;
  readonly stateId: string;
}

/** A Scheduled run past its start time. */
export interface LateRunCandidate extends RunInState {
  readonly nextScheduledStartTime: Date;
}

/** A task run selected by a service, with the state it was in when selected. */
export interface TaskRunInState {
  readonly taskRunId: string;
  readonly stateId: string;
}

/** A non-terminal subflow of a CANCELLED flow run. */
export interface SubflowCandidate extends RunInState {
  /** Deployed subflows are asked to cancel (CANCELLING), so their worker stops the infrastructure. */
  readonly hasDeployment: boolean;
}

/** The reads that find work for the services; none locks. */
export interface BackgroundQueries {
  /**
   * Runs in SCHEDULED named "Scheduled" whose `next_scheduled_start_time <= scheduledBefore`,
   * oldest first, at most `limit`.
   */
  findLateRuns(scheduledBefore: Date, limit: number): Promise<LateRunCandidate[]>;
  /** PAUSED runs whose current state's `pauseTimeout < now`, at most `limit`. */
  findExpiredPauses(now: Date, limit: number): Promise<RunInState[]>;
  /** CANCELLING runs whose state was entered at or before `enteredBefore`, at most `limit`. */
  findStaleCancelling(enteredBefore: Date, limit: number): Promise<RunInState[]>;
  /**
   * Task runs in a non-terminal state (SCHEDULED, PENDING, RUNNING, PAUSED, CANCELLING)
   * whose flow run is CANCELLED, at most `limit`.
   */
  findTaskRunsOfCancelledFlowRuns(limit: number): Promise<TaskRunInState[]>;
  /**
   * Non-terminal subflows (flow runs whose `parent_task_run_id` is a task run of a CANCELLED
   * flow run), at most `limit`; deployed subflows already CANCELLING are left out (their
   * worker, or the CANCELLING timeout, finishes them).
   */
  findSubflowsOfCancelledFlowRuns(limit: number): Promise<SubflowCandidate[]>;
}

/** A lease the reaper deleted, and what it gave back. */
export interface ReapedLease {
  readonly leaseId: string;
  readonly resourceIds: readonly string[];
  readonly slots: number;
  readonly occupancySeconds: number;
  /** Resource ids that matched no limit row (nothing to give back there). */
  readonly missingLimitIds: readonly string[];
}

/**
 * Expired concurrency leases (spec §1.7, the repossessor). One call is one transaction: it
 * deletes up to `limit` leases whose `expiration < now` (skipping rows a transition holds
 * locked) and, for exactly the rows it deleted, decrements their limits by the lease's slots
 * with occupancy `now − created_at`. A lease is released once, by whoever deletes its row.
 */
export interface ExpiredLeaseReaper {
  reapExpiredLeases(now: Date, limit: number): Promise<ReapedLease[]>;
  /**
   * Tag-slot holders of crashed task runs: deletes up to `limit` `tag_concurrency_holder`
   * rows whose `expires_at < now` in one statement (skipping rows a transition holds locked:
   * it is renewing or releasing them). A tag limit's active slots *are* its holder rows, so
   * deleting the row frees the slot; there is no counter to decrement.
   */
  reapExpiredTagSlots(now: Date, limit: number): Promise<ReapedTagSlot[]>;
}

/** A tag slot whose holder row the reaper deleted. */
export interface ReapedTagSlot {
  readonly limitId: string;
  /** The limit's tag (`null` if the limit vanished meanwhile). */
  readonly tag: string | null;
  readonly taskRunId: string;
  readonly expiresAt: Date;
}

/** The outcome of {@link ExclusiveLocks.runExclusively}. */
export type ExclusiveOutcome<T> =
  | { readonly acquired: true; readonly value: T }
  | { readonly acquired: false };

/**
 * Cluster-wide mutual exclusion for the loops (PostgreSQL advisory locks): at most one
 * replica runs the work of a key at a time.
 */
export interface ExclusiveLocks {
  /**
   * Runs `work` while holding the lock `key`, or resolves `{ acquired: false }` at once when
   * another replica holds it. The lock is released when `work` settles.
   */
  runExclusively<T>(key: number, work: () => Promise<T>): Promise<ExclusiveOutcome<T>>;
  /** Releases the dedicated connection. */
  close(): Promise<void>;
}
