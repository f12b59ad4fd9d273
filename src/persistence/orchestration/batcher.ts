/**
 * Group commit of transitions: concurrent transitions of different runs share one database
 * transaction and one unit of work (a batch), so that BEGIN, the run locks, the writes and
 * COMMIT are paid once per batch instead of once per transition.
 *
 * - A transition joins a queue. At most `batchesInFlight` batches run at once; a batch
 *   starts as soon as one may, and takes every waiting transition of the same run kind (up
 *   to `maxBatchSize`). There is no timer: a lone caller starts at once, and under load
 *   batches grow by themselves while the ones in flight run.
 * - Two transitions of one run never share a batch, nor run in two batches at once: the
 *   later one waits for a batch after the earlier one's, and sees its result.
 * - A batch locks all its runs in one statement (id order) and reads their current states,
 *   then locks the rows its transitions may lock later (one fixed order, so batches never
 *   deadlock), runs the transitions one after another, each to its end, flushes once,
 *   commits, and answers every caller.
 * - An error inside a batch (a constraint violated at the flush, a bug in one transition, a
 *   deadlock) rolls the batch back, and each of its transitions is retried in a transaction
 *   of its own, as if unbatched: only the faulty one fails. An unavailable database fails
 *   the whole batch at once.
 * - A caller that gives up (deadline, cancellation) before its batch starts is dropped
 *   without a trace; one that gives up while its batch runs makes the batch roll back before
 *   COMMIT, and the others are run again without it. Only a caller that gives up during the
 *   COMMIT itself sees DEADLINE_EXCEEDED for a transition that committed.
 * - Dry runs run alone, in a transaction that is rolled back.
 */
import type { EntityManager, MikroORM } from "@mikro-orm/postgresql";
import type { LockedRun, TransitionOptions } from "../../application/run-store.ts";
import { type Run, RunNotFoundError, StorageUnavailableError } from "../../domain/index.ts";
import type { RunKindTable } from "../run-kinds.ts";
import { runTransaction } from "../transaction.ts";
import { type DependentRows, lockDependentRows } from "./lock-runs.ts";
import { type HeldRun, OrchestrationUnitOfWork } from "./unit-of-work.ts";

/** How transitions are batched. */
export interface BatchingOptions {
  /** Batches running at once (each holds one pooled connection). */
  readonly batchesInFlight: number;
  /** Transitions a batch takes at most. */
  readonly maxBatchSize: number;
}

export const DEFAULT_BATCHING: BatchingOptions = Object.freeze({
  batchesInFlight: 2,
  maxBatchSize: 64,
});

/** What a store tells the batcher about its run kind. Batches never mix kinds. */
export interface BatchKind<Tx> {
  readonly table: RunKindTable;
  /** The store's transaction view over a unit of work. */
  view(uow: OrchestrationUnitOfWork): Tx;
  /** The rows, besides the runs, that the transitions of a batch may lock. */
  dependents(runs: readonly { held: HeldRun; options: TransitionOptions<Run> }[]): DependentRows;
}

type Work = (tx: unknown, locked: LockedRun<Run>) => Promise<unknown>;

interface Job {
  readonly kind: BatchKind<unknown>;
  readonly runId: string;
  readonly work: Work;
  readonly options: TransitionOptions<Run>;
  /** In a transaction of its own: a dry run, or a retry after its batch failed. */
  alone: boolean;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** A job's result inside a committed batch. */
type Outcome = { readonly value: unknown } | { readonly error: unknown };

/** Thrown inside a batch to roll it back because callers gave up before COMMIT. */
class CallersGaveUp extends Error {
  readonly jobs: readonly Job[];
  constructor(jobs: readonly Job[]) {
    super("callers gave up before commit");
    this.jobs = jobs;
  }
}

let batchesRun = 0;
let transitionsRun = 0;

/** Batches and the transitions in them since the process started (benchmark statistics). */
export function batchStatistics(): { readonly batches: number; readonly transitions: number } {
  return { batches: batchesRun, transitions: transitionsRun };
}

export class TransitionBatcher {
  readonly #orm: MikroORM;
  readonly #options: BatchingOptions;
  readonly #queue: Job[] = [];
  /** Runs in a batch in flight (`table:id`). */
  readonly #busy = new Set<string>();
  #inFlight = 0;

  constructor(orm: MikroORM, options: BatchingOptions = DEFAULT_BATCHING) {
    this.#orm = orm;
    this.#options = options;
  }

  /**
   * Runs `work` for the run `runId` in a batch; resolves once the batch committed. A caller
   * that gives up (its signal aborts) is answered at once, even while its batch waits for a
   * pooled connection or for the database: its admission slot must not wait on a database
   * that may not answer. Its transition is dropped from the queue, or rolled back out of its
   * batch before COMMIT (see {@link CallersGaveUp}).
   */
  submit<Tx, R extends Run, T>(
    kind: BatchKind<Tx>,
    runId: string,
    work: (tx: Tx, locked: LockedRun<R>) => Promise<T>,
    options: TransitionOptions<R> = {},
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const { signal } = options;
      const onAbort = () => reject(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      const settled =
        <A>(settle: (value: A) => void) =>
        (value: A) => {
          signal?.removeEventListener("abort", onAbort);
          settle(value);
        };
      this.#queue.push({
        kind: kind as BatchKind<unknown>,
        runId,
        work: work as Work,
        options: options as TransitionOptions<Run>,
        alone: options.dryRun === true,
        resolve: settled(resolve as (value: unknown) => void),
        reject: settled(reject),
      });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.#options.batchesInFlight) {
      const batch = this.#take();
      if (batch.length === 0) return;
      this.#inFlight++;
      batchesRun++;
      transitionsRun += batch.length;
      for (const job of batch) this.#busy.add(runKey(job));
      void this.#run(batch).finally(() => {
        this.#inFlight--;
        for (const job of batch) this.#busy.delete(runKey(job));
        this.#pump();
      });
    }
  }

  /**
   * Takes the next batch out of the queue: the first job that may start, and every later
   * one that may join it. A job that may not (its run is busy or already in the batch, or it
   * must run alone) stays, and so does every later job of its run, so each run's
   * transitions keep their order. Callers that gave up meanwhile are dropped.
   */
  #take(): Job[] {
    const batch: Job[] = [];
    const taken = new Set<string>();
    const waiting = new Set<string>();
    const kept: Job[] = [];
    for (const job of this.#queue) {
      const signal = job.options.signal;
      if (signal?.aborted) {
        job.reject(signal.reason);
        continue;
      }
      const key = runKey(job);
      const first = batch[0];
      const joins =
        batch.length < this.#options.maxBatchSize &&
        !waiting.has(key) &&
        !taken.has(key) &&
        !this.#busy.has(key) &&
        (first === undefined || (!first.alone && !job.alone && job.kind === first.kind));
      if (joins) {
        batch.push(job);
        taken.add(key);
      } else {
        waiting.add(key);
        kept.push(job);
      }
    }
    this.#queue.splice(0, this.#queue.length, ...kept);
    return batch;
  }

  async #run(batch: Job[]): Promise<void> {
    const alone = batch.length === 1 && batch[0]!.alone;
    let outcomes: Outcome[];
    try {
      outcomes = await runTransaction(this.#orm, (em) => this.#execute(em, batch, alone), {
        signal: alone ? batch[0]!.options.signal : undefined,
        rollback: batch[0]!.options.dryRun,
      });
    } catch (error) {
      this.#recover(batch, alone, error);
      return;
    }
    batch.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if ("error" in outcome) job.reject(outcome.error);
      else job.resolve(outcome.value);
    });
  }

  /** After a batch was rolled back: fail or retry its transitions. */
  #recover(batch: Job[], alone: boolean, error: unknown): void {
    if (error instanceof CallersGaveUp) {
      for (const job of error.jobs) job.reject(job.options.signal?.reason);
      this.#retry(batch.filter((job) => !error.jobs.includes(job)));
    } else if (alone || error instanceof StorageUnavailableError) {
      for (const job of batch) job.reject(error);
    } else {
      for (const job of batch) job.alone = true;
      this.#retry(batch);
    }
  }

  /**
   * Puts jobs back at the head of the queue, ahead of later jobs of their runs; they start
   * once their batch has ended (and released their runs).
   */
  #retry(jobs: Job[]): void {
    this.#queue.unshift(...jobs);
  }

  /** One batch inside its transaction; resolves each job's outcome, in order. */
  async #execute(em: EntityManager, batch: readonly Job[], alone: boolean): Promise<Outcome[]> {
    const kind = batch[0]!.kind;
    const uow = new OrchestrationUnitOfWork(em, { eagerStates: alone });
    await uow.lock(
      kind.table,
      batch.map((job) => job.runId),
    );
    const held = batch.map((job) => uow.held(kind.table, job.runId));
    if (batch.length > 1) {
      const runs = batch.flatMap((job, i) => {
        const run = held[i];
        return run === undefined ? [] : [{ held: run, options: job.options }];
      });
      await lockDependentRows(em, kind.dependents(runs), uow.limits);
    }
    const tx = kind.view(uow);
    const outcomes: Outcome[] = [];
    for (const [i, job] of batch.entries()) {
      const run = held[i];
      if (run === undefined) {
        outcomes.push({ error: new RunNotFoundError(kind.table.kind, job.runId) });
        continue;
      }
      const locked = { run: run.run, state: run.state };
      const refused = job.options.precondition?.(locked) ?? null;
      outcomes.push(refused === null ? { value: await job.work(tx, locked) } : { error: refused });
    }
    await uow.flush();
    if (!alone) {
      const gaveUp = batch.filter((job) => job.options.signal?.aborted);
      if (gaveUp.length > 0) throw new CallersGaveUp(gaveUp);
    }
    return outcomes;
  }
}

function runKey(job: Job): string {
  return `${job.kind.table.run}:${job.runId}`;
}
