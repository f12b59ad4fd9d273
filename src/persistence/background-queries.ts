/**
 * The reads that find work for the background services (spec §5.5). Plain snapshots, no
 * locks: each candidate is re-checked under the run's row lock when its transition is
 * proposed, so a run that moved on meanwhile is left alone.
 */
import type { MikroORM } from "@mikro-orm/postgresql";
import type {
  BackgroundQueries,
  LateRunCandidate,
  RunInState,
  SubflowCandidate,
  TaskRunInState,
} from "../application/background.ts";
import { translatingErrors } from "./errors.ts";

interface CandidateRow {
  id: string;
  state_id: string;
}

export class PgBackgroundQueries implements BackgroundQueries {
  readonly #orm: MikroORM;

  constructor(orm: MikroORM) {
    this.#orm = orm;
  }

  findLateRuns(scheduledBefore: Date, limit: number): Promise<LateRunCandidate[]> {
    return translatingErrors(async () => {
      // Served by the (state_type, next_scheduled_start_time) index.
      const rows = await this.#orm.em
        .fork()
        .execute<(CandidateRow & { next_scheduled_start_time: Date })[]>(
          `select id, state_id, next_scheduled_start_time from flow_run
         where state_type = 'SCHEDULED' and state_name = 'Scheduled' and state_id is not null
           and next_scheduled_start_time <= ?
         order by next_scheduled_start_time, id limit ?`,
          [scheduledBefore, limit],
        );
      return rows.map((row) => ({
        flowRunId: row.id,
        stateId: row.state_id,
        nextScheduledStartTime: new Date(row.next_scheduled_start_time),
      }));
    });
  }

  findExpiredPauses(now: Date, limit: number): Promise<RunInState[]> {
    return translatingErrors(async () => {
      // State details keep pauseTimeout as an ISO-8601 string (state-mapping.ts).
      const rows = await this.#orm.em.fork().execute<CandidateRow[]>(
        `select fr.id, fr.state_id from flow_run fr join flow_run_state s on s.id = fr.state_id
         where fr.state_type = 'PAUSED' and jsonb_typeof(s.state_details -> 'pauseTimeout') = 'string'
           and (s.state_details ->> 'pauseTimeout')::timestamptz < ?
         order by fr.id limit ?`,
        [now, limit],
      );
      return rows.map(candidate);
    });
  }

  findStaleCancelling(enteredBefore: Date, limit: number): Promise<RunInState[]> {
    return translatingErrors(async () => {
      const rows = await this.#orm.em.fork().execute<CandidateRow[]>(
        `select id, state_id from flow_run
         where state_type = 'CANCELLING' and state_id is not null and state_timestamp <= ?
         order by state_timestamp, id limit ?`,
        [enteredBefore, limit],
      );
      return rows.map(candidate);
    });
  }

  findTaskRunsOfCancelledFlowRuns(limit: number): Promise<TaskRunInState[]> {
    return translatingErrors(async () => {
      // Driven by the cancelled flow runs (state_type index) and task_run(flow_run_id).
      const rows = await this.#orm.em.fork().execute<CandidateRow[]>(
        `select t.id, t.state_id from task_run t join flow_run f on f.id = t.flow_run_id
         where f.state_type = 'CANCELLED' and t.state_id is not null
           and t.state_type in ${NON_TERMINAL}
         order by t.id limit ?`,
        [limit],
      );
      return rows.map((row) => ({ taskRunId: row.id, stateId: row.state_id }));
    });
  }

  findSubflowsOfCancelledFlowRuns(limit: number): Promise<SubflowCandidate[]> {
    return translatingErrors(async () => {
      const rows = await this.#orm.em
        .fork()
        .execute<(CandidateRow & { has_deployment: boolean })[]>(
          `select s.id, s.state_id, s.deployment_id is not null as has_deployment
         from flow_run s
         join task_run t on t.id = s.parent_task_run_id
         join flow_run f on f.id = t.flow_run_id
         where f.state_type = 'CANCELLED' and s.state_id is not null
           and s.state_type in ${NON_TERMINAL}
           and not (s.deployment_id is not null and s.state_type = 'CANCELLING')
         order by s.id limit ?`,
          [limit],
        );
      return rows.map((row) => ({ ...candidate(row), hasDeployment: row.has_deployment }));
    });
  }
}

/** The state types a run can still leave (spec §1.1: all but the terminal ones). */
const NON_TERMINAL = `('SCHEDULED', 'PENDING', 'RUNNING', 'PAUSED', 'CANCELLING')`;

function candidate(row: CandidateRow): RunInState {
  return { flowRunId: row.id, stateId: row.state_id };
}
