/**
 * What the use cases of both run kinds need from persistence, written once, generic over the
 * run kind: a transition runs inside a transaction that persistence may share with the
 * transitions of other runs (a batch), its run row-locked first; plain reads run on their
 * own.
 *
 * Persistence saves every run it locked for a transaction: what orchestration changed on the
 * run object is written back by the transaction's final flush. Neither the state writer nor
 * the use case saves a run.
 */
import type { State, StateType } from "../domain/index.ts";
import type { StateWriter } from "../orchestration/index.ts";
import type { Cursor } from "./paging.ts";

/** A run, row-locked until its transaction ends, with its current state. */
export interface LockedRun<R> {
  readonly run: R;
  readonly state: State | null;
}

/** One orchestration's view of its transaction. `P` are the ports persistence provides. */
export interface RunTransaction<R, P> {
  /**
   * Row-locks another run of this kind in the same transaction (a subflow's parent task)
   * and returns it with its current state; a run already locked in the transaction comes
   * back as it is now, with what earlier transitions changed. `null`: no such run.
   */
  lock(runId: string): Promise<LockedRun<R> | null>;
  readonly deps: P;
  readonly stateWriter: StateWriter<R>;
}

/** How a store transaction ends besides success or failure. */
export interface TransactionOptions {
  /** A caller that gave up (deadline, cancellation): the transaction is rolled back. */
  readonly signal?: AbortSignal | undefined;
  /** Roll back even when `work` succeeds, and still resolve to its result (dry runs). */
  readonly rollback?: boolean | undefined;
}

/** How a transition is run. */
export interface TransitionOptions<R> {
  /**
   * A caller that gave up. Until the transition's transaction is committed, its work is
   * rolled back and the call rejects with the signal's reason.
   */
  readonly signal?: AbortSignal | undefined;
  /** Run alone, in a transaction that is rolled back, and still resolve to the result. */
  readonly dryRun?: boolean | undefined;
  /**
   * Checked once the run is locked, before `work`: an error rejects the call with it and
   * nothing is written (a background service's candidate that moved on meanwhile).
   */
  readonly precondition?: ((locked: LockedRun<R>) => Error | null) | undefined;
  /**
   * The type of the state the caller proposes. Persistence locks, before any transition of a
   * batch runs, the limit rows a transition into this type may take (one fixed order for
   * every batch, so batches never deadlock on them).
   */
  readonly proposedType?: StateType | null | undefined;
}

/** The persistence of one run kind. `Tx` is its transaction view, `Rec` its read model. */
export interface RunStore<R, Tx, Rec, F> {
  /**
   * Runs `work` for the run `runId`, locked, in a transaction persistence may share with
   * transitions of other runs: `work` runs to its end before another transition of the
   * transaction starts, sees everything the earlier ones did, and commits with them.
   * Resolves once committed; rejects with NotFoundError for an unknown run, or with what
   * `work` threw (in a transaction of its own, so nothing of it is kept).
   */
  transition<T>(
    runId: string,
    work: (tx: Tx, locked: LockedRun<R>) => Promise<T>,
    options?: TransitionOptions<R>,
  ): Promise<T>;
  /** Runs `work` in a transaction of its own; commits when it resolves, rolls back when it throws. */
  transaction<T>(work: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T>;
  find(runId: string): Promise<Rec | null>;
  list(filter: F, limit: number, after: Cursor | undefined): Promise<Rec[]>;
  /**
   * Deletes the run (a flow run with its task runs) and frees the concurrency slots and
   * leases they hold, in one transaction; `false` when the run does not exist.
   */
  delete(runId: string): Promise<boolean>;
  /** The run's states, oldest first; `null` when the run does not exist. */
  listStates(runId: string): Promise<State[] | null>;
  /** Committed states of the run after the event sequence number `afterSeq`, in commit order. */
  statesSince(runId: string, afterSeq: number): Promise<{ seq: number; state: State }[]>;
  /**
   * The run's current state and its highest event sequence number, read in one snapshot;
   * `null` when the run does not exist.
   */
  watchStart(runId: string): Promise<{ state: State | null; seq: number } | null>;
}
