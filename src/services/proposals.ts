/**
 * Proposing a transition for a candidate a service selected. Candidates come from unlocked
 * reads, so by the time the run row is locked the run may have moved on (resumed, been
 * rescheduled, cancelled by hand). The proposal is kept only if the run is still in the
 * very state it was selected in, checked under the run's lock before its policy runs:
 * otherwise nothing is written, so a forced Failed can never hit a run that was resumed a
 * moment earlier. Flow runs and task runs are guarded the same way.
 */
import type { RunInState, TaskRunInState } from "../application/background.ts";
import type { FlowOrchestrationResult, SetFlowRunStateCommand } from "../application/flow-runs.ts";
import type { FlowRunProposer, TaskRunProposer } from "../application/orchestration-observer.ts";
import type { SetTaskRunStateCommand, TaskOrchestrationResult } from "../application/task-runs.ts";
import { NotFoundError, type State } from "../domain/index.ts";
import type { Logger } from "../logger.ts";

/** Why a proposal whose candidate is stale was not made. */
class CandidateMoved extends Error {}

/**
 * The precondition of a candidate's proposal: checked once the run is locked, before its
 * policy runs, so a stale candidate's proposal writes nothing.
 */
function stillIn(candidate: Candidate): (current: State | null) => Error | null {
  return (current) => (current?.id === candidate.stateId ? null : new CandidateMoved());
}

/** The proposal's result, or why nothing was proposed. */
export type ProposalOutcome = FlowOrchestrationResult | "moved" | "gone";
/** The same for a task run. */
export type TaskProposalOutcome = TaskOrchestrationResult | "moved" | "gone";

/** What {@link proposeForCandidates} needs of an outcome. */
type AnyOutcome =
  | {
      readonly state: { readonly id: string } | null;
      readonly status: string;
      readonly details: unknown;
    }
  | "moved"
  | "gone";

/** A candidate of either run kind: the state it was selected in. */
interface Candidate {
  readonly stateId: string;
}

/** What to propose for a candidate; the run id and the guard are filled in. */
export type Proposal = Omit<SetFlowRunStateCommand, "flowRunId" | "precondition" | "beforeCommit">;

/** Proposes `proposal` for the candidate if it is still in the state it was selected in. */
export async function proposeInState(
  flowRuns: FlowRunProposer,
  candidate: RunInState,
  proposal: Proposal,
): Promise<ProposalOutcome> {
  try {
    return await flowRuns.setState({
      ...proposal,
      flowRunId: candidate.flowRunId,
      precondition: stillIn(candidate),
    });
  } catch (error) {
    if (error instanceof CandidateMoved) return "moved";
    if (error instanceof NotFoundError) return "gone"; // deleted meanwhile: ignored
    throw error;
  }
}

/** What to propose for a task-run candidate; the run id and the guard are filled in. */
export type TaskProposal = Omit<
  SetTaskRunStateCommand,
  "taskRunId" | "precondition" | "beforeCommit"
>;

/** Proposes `proposal` for the task run if it is still in the state it was selected in. */
export async function proposeTaskInState(
  taskRuns: TaskRunProposer,
  candidate: TaskRunInState,
  proposal: TaskProposal,
): Promise<TaskProposalOutcome> {
  try {
    return await taskRuns.setState({
      ...proposal,
      taskRunId: candidate.taskRunId,
      precondition: stillIn(candidate),
    });
  } catch (error) {
    if (error instanceof CandidateMoved) return "moved";
    if (error instanceof NotFoundError) return "gone";
    throw error;
  }
}

export interface BatchOptions<C extends Candidate> {
  readonly find: () => Promise<C[]>;
  readonly propose: (candidate: C) => Promise<AnyOutcome>;
  readonly batchSize: number;
  readonly signal: AbortSignal | undefined;
  readonly log: Logger;
}

/**
 * Finds candidates and proposes for each, batch after batch while batches come back full
 * and something changed. One candidate's failure is logged and does not stop the others.
 * Resolves the number of runs whose state changed.
 */
export async function proposeForCandidates<C extends Candidate>(
  options: BatchOptions<C>,
): Promise<number> {
  const { find, propose, batchSize, signal, log } = options;
  let changed = 0;
  for (;;) {
    const batch = await find();
    let changedInBatch = 0;
    for (const candidate of batch) {
      if (signal?.aborted) return changed;
      const fields: object = { ...candidate };
      try {
        const outcome = await propose(candidate);
        if (typeof outcome === "string") {
          log.debug({ ...fields, outcome }, "candidate skipped");
        } else {
          if (outcome.state !== null && outcome.state.id !== candidate.stateId) changedInBatch++;
          log.info({ ...fields, status: outcome.status, details: outcome.details }, "proposed");
        }
      } catch (error) {
        if (signal?.aborted) return changed;
        log.warn({ ...fields, err: error }, "proposal failed");
      }
    }
    changed += changedInBatch;
    // A full batch of which nothing changed would come back identical: stop until next tick.
    if (batch.length < batchSize || changedInBatch === 0) return changed;
  }
}
