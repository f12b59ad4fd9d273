/**
 * Columns flow runs and task runs share: the bookkeeping orchestration maintains (spec §1.5),
 * and the columns of a state row. Functions, so that every entity gets its own builders.
 */
import { p } from "@mikro-orm/core";

/** The run's current-state pointer and the counters and times the global transforms keep. */
export function runBookkeepingColumns() {
  return {
    stateId: p.uuid().nullable(),
    stateType: p.string().nullable(),
    stateName: p.string().nullable(),
    stateTimestamp: p.datetime().nullable(),
    runCount: p.integer().default(0),
    expectedStartTime: p.datetime().nullable(),
    nextScheduledStartTime: p.datetime().nullable(),
    startTime: p.datetime().nullable(),
    endTime: p.datetime().nullable(),
    totalRunTime: p.double().default(0),
    created: p.datetime().onCreate(() => new Date()),
    updated: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  };
}

/** A state row, without the reference to its run. */
export function stateColumns() {
  return {
    id: p.uuid().primary(),
    type: p.string(),
    name: p.string(),
    timestamp: p.datetime(),
    message: p.text().nullable(),
    stateDetails: p.json<Record<string, unknown>>(),
    data: p.json<unknown>().nullable(),
    /** The decision that wrote the state (policy, rules fired and fizzled); see StateDecision. */
    decision: p.json<Record<string, unknown>>().nullable(),
  };
}
