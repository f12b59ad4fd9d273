/**
 * The ports both run kinds share, inside the orchestration's unit of work: state timestamps
 * (EnsureFlowRunStateTimestampIsUnique, EnsureTaskRunStateTimestampIsUnique) and the
 * transactional outbox.
 */
import type {
  EventOutbox,
  FlowRunStateTimestamps,
  RunStateEvent,
  TaskRunStateTimestamps,
} from "../../orchestration/index.ts";
import type { RunKindTable } from "../run-kinds.ts";
import type { OrchestrationUnitOfWork } from "./unit-of-work.ts";

/** Whether a run has a state at a timestamp; held runs answer from what the lock read. */
export class PgStateTimestamps implements FlowRunStateTimestamps, TaskRunStateTimestamps {
  readonly #uow: OrchestrationUnitOfWork;
  readonly #kind: RunKindTable;

  constructor(uow: OrchestrationUnitOfWork, kind: RunKindTable) {
    this.#uow = uow;
    this.#kind = kind;
  }

  async hasStateAt(runId: string, timestamp: Date): Promise<boolean> {
    const held = this.#uow.held(this.#kind, runId);
    if (held !== undefined) {
      if (held.written.has(timestamp.getTime())) return true;
      // The run is locked: no state newer than the newest one we know of can appear meanwhile.
      if (held.latest === null || timestamp > held.latest) return false;
    }
    const rows = await this.#uow.em.execute(
      `select 1 from ${this.#kind.state} where ${this.#kind.runColumn} = ? and "timestamp" = ? limit 1`,
      [runId, timestamp],
    );
    return rows.length > 0;
  }
}

/** Appends to the outbox of the unit of work; the run is announced once the events are written. */
export class PgEventOutbox implements EventOutbox {
  readonly #uow: OrchestrationUnitOfWork;

  constructor(uow: OrchestrationUnitOfWork) {
    this.#uow = uow;
  }

  async append(event: RunStateEvent): Promise<void> {
    this.#uow.addEvent(event);
  }
}
