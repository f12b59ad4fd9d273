/**
 * The use cases both run kinds share, written once and generic over the run kind: reads,
 * deletion, run creation (insert, then apply the initial state) and SetState — build the
 * proposed state once the run is locked, run its policy through the engine with the kind's
 * ports, in a transaction persistence may share with other runs' transitions. Outcomes are
 * values; only a missing run, bad input or an infrastructure fault throws.
 *
 * A {@link RunOrchestration} says what differs between the kinds: the policies, and which
 * ports the application adds to those persistence provides (the flow kind's subflow mirror,
 * the task kind's state events).
 */
import {
  buildState,
  RunCreationRefusedError,
  type RunKind,
  RunNotFoundError,
  type State,
  type StateInit,
  StateType,
} from "../domain/index.ts";
import {
  type Clock,
  type IdGenerator,
  type OrchestrationResult,
  orchestrateTransition,
  type Policy,
  type RunPolicies,
  SetStateStatus,
  type StateWriter,
} from "../orchestration/index.ts";
import { type Page, type PageRequest, readPage } from "./paging.ts";
import type { LockedRun, RunStore } from "./run-store.ts";

/** What makes one run kind's orchestration. `Tx` is the kind's store transaction. */
export interface RunOrchestration<R, D, Tx> {
  readonly policies: RunPolicies<R, D>;
  /** The policy of proposals that name none (CoreFlowPolicy, CoreTaskPolicy). */
  readonly defaultPolicy: Policy<R, D>;
  /** The rules' ports and the validate step's writer for a transition in `tx`. */
  ports(tx: Tx): { readonly deps: D; readonly stateWriter: StateWriter<R> };
}

/**
 * Orchestrates one transition of `locked` in `tx`: the engine runs the policy, whose ports
 * and writer work inside the transaction. Used by SetState, run creation and the subflow
 * mirror.
 */
export function orchestrateIn<R, D, Tx>(
  kind: RunOrchestration<R, D, Tx>,
  tx: Tx,
  locked: LockedRun<R>,
  proposedState: State,
  force: boolean,
  policy: Policy<R, D> = kind.defaultPolicy,
): Promise<OrchestrationResult<R, D>> {
  const { deps, stateWriter } = kind.ports(tx);
  return orchestrateTransition({
    run: locked.run,
    initialState: locked.state,
    proposedState,
    policies: kind.policies,
    policy,
    force,
    deps,
    stateWriter,
  });
}

/** A proposal of either run kind; the run id is the caller's. */
export interface RunStateCommand<R, D, Tx> {
  readonly state: StateInit;
  readonly force: boolean;
  /** Defaults to the kind's default policy; background services ask for others. */
  readonly policy?: Policy<R, D>;
  /** Internal callers may fix the new state's id (spec §5.5, CANCELLING timeout). */
  readonly stateId?: string;
  readonly signal?: AbortSignal;
  /** Orchestrate in a transaction that is rolled back: report what would happen. */
  readonly dryRun?: boolean;
  /**
   * Checked on the run's current state once the run is locked, before the policy runs: an
   * error rejects the call with it and nothing is written (a background service's candidate
   * that moved on since it was selected).
   */
  readonly precondition?: (current: State | null) => Error | null;
  /** Runs in the same transaction after the orchestration (ResumeFlowRun stores its input). */
  readonly beforeCommit?: (tx: Tx, result: OrchestrationResult<R, D>) => Promise<void>;
}

/** The use cases of one run kind; the kinds' classes add what only they have. */
export class RunUseCases<
  R extends { readonly id: string },
  D,
  Tx,
  Rec extends { readonly run: R; readonly created: Date },
  F,
> {
  protected readonly store: RunStore<R, Tx, Rec, F>;
  protected readonly clock: Clock;
  protected readonly ids: IdGenerator;
  readonly #kind: RunOrchestration<R, D, Tx>;
  readonly #runKind: RunKind;

  constructor(
    store: RunStore<R, Tx, Rec, F>,
    kind: RunOrchestration<R, D, Tx>,
    runKind: RunKind,
    clock: Clock,
    ids: IdGenerator,
  ) {
    this.store = store;
    this.#kind = kind;
    this.#runKind = runKind;
    this.clock = clock;
    this.ids = ids;
  }

  async get(runId: string): Promise<Rec> {
    const record = await this.store.find(runId);
    if (record === null) throw new RunNotFoundError(this.#runKind, runId);
    return record;
  }

  list(filter: F, page: PageRequest): Promise<Page<Rec>> {
    return readPage(
      page,
      (limit, after) => this.store.list(filter, limit, after),
      (record) => ({ created: record.created, id: record.run.id }),
    );
  }

  async delete(runId: string): Promise<void> {
    if (!(await this.store.delete(runId))) throw new RunNotFoundError(this.#runKind, runId);
  }

  async listStates(runId: string): Promise<State[]> {
    const states = await this.store.listStates(runId);
    if (states === null) throw new RunNotFoundError(this.#runKind, runId);
    return states;
  }

  /** Proposes a state for `runId`; the outcome (ACCEPT/REJECT/WAIT/ABORT) is in the result. */
  protected propose(
    runId: string,
    command: RunStateCommand<R, D, Tx>,
  ): Promise<OrchestrationResult<R, D>> {
    const { precondition } = command;
    return this.store.transition(
      runId,
      async (tx, locked) => {
        // Built once the run is locked, so its timestamp is the time the transition runs.
        const proposed = buildState(
          command.state,
          command.stateId ?? this.ids.newId(),
          this.clock.now(),
        );
        const result = await orchestrateIn(
          this.#kind,
          tx,
          locked,
          proposed,
          command.force,
          command.policy,
        );
        await command.beforeCommit?.(tx, result);
        return result;
      },
      {
        signal: command.signal,
        dryRun: command.dryRun,
        proposedType: command.state.type,
        precondition: precondition && ((locked) => precondition(locked.state)),
      },
    );
  }

  /**
   * Creates a run with `insert` (idempotent: an existing run is found instead) and applies
   * its initial state (PENDING when none is given) to a run that was created: by force, or
   * unforced through `policy` when one is given (CreateFlowRunPolicy). An initial state that
   * policy aborts would leave a run without a state, so the creation is refused
   * ({@link RunCreationRefusedError}) and rolls back.
   */
  protected async createWith(
    insert: (tx: Tx) => Promise<LockedRun<R> & { readonly created: boolean }>,
    initial: StateInit | null,
    policy?: Policy<R, D>,
  ): Promise<{ record: Rec; created: boolean }> {
    const { runId, created } = await this.store.transaction(async (tx) => {
      const inserted = await insert(tx);
      if (inserted.created) {
        const state = buildState(
          initial ?? { type: StateType.PENDING },
          this.ids.newId(),
          this.clock.now(),
        );
        const result = await orchestrateIn(
          this.#kind,
          tx,
          inserted,
          state,
          policy === undefined,
          policy,
        );
        refuseAbortedCreation(result);
      }
      return { runId: inserted.run.id, created: inserted.created };
    });
    return { record: await this.get(runId), created };
  }
}

/** A run whose initial state was aborted would have no state: the creation rolls back. */
function refuseAbortedCreation(result: OrchestrationResult<unknown, unknown>): void {
  if (result.status !== SetStateStatus.ABORT) return;
  const { details } = result;
  throw new RunCreationRefusedError(details.type === "abort_details" ? (details.reason ?? "") : "");
}
