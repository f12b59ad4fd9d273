/**
 * Flow-run use cases. SetFlowRunState is one transaction: lock the run row, build the
 * proposed state, run the policy through the engine (whose ports write inside the same
 * transaction), save the run's bookkeeping, commit. Outcomes are values; only a missing run,
 * bad input or an infrastructure fault throws.
 */
import {
  buildState,
  type FlowRun,
  NotFoundError,
  RunCreationRefusedError,
  RunNotFoundError,
  type State,
  type StateInit,
} from "../domain/index.ts";
import {
  type Clock,
  CoreFlowPolicy,
  CreateFlowRunPolicy,
  type FlowOrchestrationDeps,
  flowRunPolicies,
  type IdGenerator,
  type OrchestrationResult,
  orchestrateTransition,
  type Policy,
  SetStateStatus,
} from "../orchestration/index.ts";
import type {
  FlowRunFilter,
  FlowRunRecord,
  FlowRunStore,
  FlowRunTransaction,
  NewFlowRun,
} from "./flow-run-store.ts";
import { type Page, type PageRequest, readPage } from "./paging.ts";

export type FlowOrchestrationResult = OrchestrationResult<FlowRun, FlowOrchestrationDeps>;

export interface SetFlowRunStateCommand {
  readonly flowRunId: string;
  readonly state: StateInit;
  readonly force: boolean;
  /** Defaults to CoreFlowPolicy; background services ask for MarkLateRunsPolicy. */
  readonly policy?: Policy<FlowRun, FlowOrchestrationDeps>;
  /** Internal callers may fix the new state's id (spec §5.5, CANCELLING timeout). */
  readonly stateId?: string;
  readonly signal?: AbortSignal;
  /** Orchestrate in a transaction that is rolled back: report what would happen. */
  readonly dryRun?: boolean;
  /** Runs in the same transaction after the orchestration, before commit (ResumeFlowRun stores its input). */
  readonly beforeCommit?: (
    tx: FlowRunTransaction,
    result: FlowOrchestrationResult,
  ) => Promise<void>;
}

export class FlowRunUseCases {
  readonly #store: FlowRunStore;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;

  constructor(store: FlowRunStore, clock: Clock, ids: IdGenerator) {
    this.#store = store;
    this.#clock = clock;
    this.#ids = ids;
  }

  /**
   * Creates the run (idempotent on flow + idempotency key) and applies its initial state with
   * CreateFlowRunPolicy (the minimal policy, plus strict deployment limits when on). An
   * initial state that is aborted (strict limits on a deployment limit of 0) creates nothing.
   */
  async create(
    fields: NewFlowRun,
    initial: StateInit | null,
  ): Promise<{ record: FlowRunRecord; created: boolean }> {
    const { runId, created } = await this.#store.transaction(async (tx) => {
      const inserted = await tx.insertFlowRun(fields);
      if ("missing" in inserted) {
        const id = inserted.missing === "flow" ? fields.flowId : (fields.deploymentId ?? "");
        throw new NotFoundError(inserted.missing, id);
      }
      if (inserted.created) {
        const result = await this.#orchestrate(
          tx,
          inserted.run,
          inserted.state,
          initial ?? { type: "PENDING" },
          false,
          CreateFlowRunPolicy,
        );
        refuseAbortedCreation(result);
      }
      return { runId: inserted.run.id, created: inserted.created };
    });
    return { record: await this.get(runId), created };
  }

  async get(flowRunId: string): Promise<FlowRunRecord> {
    const record = await this.#store.findFlowRun(flowRunId);
    if (record === null) throw new RunNotFoundError("flow_run", flowRunId);
    return record;
  }

  list(filter: FlowRunFilter, page: PageRequest): Promise<Page<FlowRunRecord>> {
    return readPage(
      page,
      (limit, after) => this.#store.listFlowRuns(filter, limit, after),
      (record) => ({ created: record.created, id: record.run.id }),
    );
  }

  async delete(flowRunId: string): Promise<void> {
    if (!(await this.#store.deleteFlowRun(flowRunId)))
      throw new RunNotFoundError("flow_run", flowRunId);
  }

  async listStates(flowRunId: string): Promise<State[]> {
    const states = await this.#store.listStates(flowRunId);
    if (states === null) throw new RunNotFoundError("flow_run", flowRunId);
    return states;
  }

  /** Proposes a state; the outcome (ACCEPT/REJECT/WAIT/ABORT) is in the result. */
  setState(command: SetFlowRunStateCommand): Promise<FlowOrchestrationResult> {
    return this.#store.transaction(
      async (tx) => {
        const locked = await tx.lockFlowRun(command.flowRunId);
        if (locked === null) throw new RunNotFoundError("flow_run", command.flowRunId);
        const result = await this.#orchestrate(
          tx,
          locked.run,
          locked.state,
          command.state,
          command.force,
          command.policy,
          command.stateId,
        );
        await command.beforeCommit?.(tx, result);
        return result;
      },
      { signal: command.signal, rollback: command.dryRun },
    );
  }

  /** Stores `value`, JSON text (the transport has checked it). */
  async putInput(flowRunId: string, key: string, value: string): Promise<void> {
    await this.#store.transaction(async (tx) => {
      if ((await tx.lockFlowRun(flowRunId)) === null)
        throw new RunNotFoundError("flow_run", flowRunId);
      await tx.putInput(flowRunId, key, value);
    });
  }

  async getInput(flowRunId: string, key: string): Promise<string> {
    const value = await this.#store.transaction((tx) => tx.readInput(flowRunId, key));
    if (value === null) throw new NotFoundError("flow run input", `${flowRunId}/${key}`);
    return value;
  }

  /** Runs one orchestration inside `tx` and saves the run's bookkeeping. */
  async #orchestrate(
    tx: FlowRunTransaction,
    run: FlowRun,
    initialState: State | null,
    init: StateInit,
    force: boolean,
    policy: Policy<FlowRun, FlowOrchestrationDeps> = CoreFlowPolicy,
    stateId?: string,
  ): Promise<FlowOrchestrationResult> {
    const proposedState = buildState(init, stateId ?? this.#ids.newId(), this.#clock.now());
    const result = await orchestrateTransition({
      run,
      initialState,
      proposedState,
      policies: flowRunPolicies,
      policy,
      force,
      deps: tx.deps,
      stateWriter: tx.stateWriter,
    });
    await tx.saveFlowRun(run);
    return result;
  }
}

/** A run whose initial state was aborted would have no state: the creation rolls back. */
function refuseAbortedCreation(result: FlowOrchestrationResult): void {
  if (result.status !== SetStateStatus.ABORT) return;
  const { details } = result;
  throw new RunCreationRefusedError(details.type === "abort_details" ? (details.reason ?? "") : "");
}
