/**
 * Flow-run use cases. SetFlowRunState locks the run row, builds the proposed state and runs
 * the policy through the engine, whose ports write inside the same transaction (which
 * persistence may share with other runs' transitions). A subflow's states are mirrored onto
 * its parent task run in that transaction.
 */
import { type FlowRun, NotFoundError, RunNotFoundError, type StateInit } from "../domain/index.ts";
import {
  type Clock,
  CoreFlowPolicy,
  CreateFlowRunPolicy,
  type FlowOrchestrationDeps,
  flowRunPolicies,
  type IdGenerator,
  type OrchestrationResult,
} from "../orchestration/index.ts";
import type {
  FlowRunFilter,
  FlowRunRecord,
  FlowRunStore,
  FlowRunTransaction,
  NewFlowRun,
} from "./flow-run-store.ts";
import { type RunOrchestration, type RunStateCommand, RunUseCases } from "./run-use-cases.ts";
import { parentTasksIn } from "./subflow-parent-tasks.ts";

export type FlowOrchestrationResult = OrchestrationResult<FlowRun, FlowOrchestrationDeps>;

export interface SetFlowRunStateCommand
  extends RunStateCommand<FlowRun, FlowOrchestrationDeps, FlowRunTransaction> {
  readonly flowRunId: string;
}

/** How flow runs are orchestrated: CoreFlowPolicy by default, subflows mirrored. */
export const flowRunOrchestration: RunOrchestration<
  FlowRun,
  FlowOrchestrationDeps,
  FlowRunTransaction
> = {
  policies: flowRunPolicies,
  defaultPolicy: CoreFlowPolicy,
  ports: (tx) => ({
    deps: { ...tx.deps, subflowParentTasks: parentTasksIn(tx.taskRuns) },
    stateWriter: tx.stateWriter,
  }),
};

export class FlowRunUseCases extends RunUseCases<
  FlowRun,
  FlowOrchestrationDeps,
  FlowRunTransaction,
  FlowRunRecord,
  FlowRunFilter
> {
  constructor(store: FlowRunStore, clock: Clock, ids: IdGenerator) {
    super(store, flowRunOrchestration, "flow_run", clock, ids);
  }

  /**
   * Creates the run (idempotent on flow + idempotency key) and applies its initial state with
   * CreateFlowRunPolicy (the minimal policy, plus strict deployment limits when on). An
   * initial state that is aborted (strict limits on a deployment limit of 0) creates nothing.
   */
  create(
    fields: NewFlowRun,
    initial: StateInit | null,
  ): Promise<{ record: FlowRunRecord; created: boolean }> {
    return this.createWith(
      async (tx) => {
        const inserted = await tx.insertFlowRun(fields);
        if ("missing" in inserted) {
          const id = inserted.missing === "flow" ? fields.flowId : (fields.deploymentId ?? "");
          throw new NotFoundError(inserted.missing, id);
        }
        return inserted;
      },
      initial,
      CreateFlowRunPolicy,
    );
  }

  /** Proposes a state; the outcome (ACCEPT/REJECT/WAIT/ABORT) is in the result. */
  setState(command: SetFlowRunStateCommand): Promise<FlowOrchestrationResult> {
    return this.propose(command.flowRunId, command);
  }

  /** Stores `value`, JSON text (the transport has checked it). */
  async putInput(flowRunId: string, key: string, value: string): Promise<void> {
    await this.store.transaction(async (tx) => {
      if ((await tx.lock(flowRunId)) === null) throw new RunNotFoundError("flow_run", flowRunId);
      await tx.putInput(flowRunId, key, value);
    });
  }

  async getInput(flowRunId: string, key: string): Promise<string> {
    const value = await this.store.transaction((tx) => tx.readInput(flowRunId, key));
    if (value === null) throw new NotFoundError("flow run input", `${flowRunId}/${key}`);
    return value;
  }
}
