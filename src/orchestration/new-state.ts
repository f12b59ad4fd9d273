/**
 * States that rules create themselves (AwaitingRetry, AwaitingConcurrencySlot, a fresh
 * Cancelled, ...): a new id and the current time from the injected ports, plus the
 * creation-time defaults of spec §1.2 (default name; SCHEDULED gets `scheduledTime = now`).
 */
import { buildState, type State, type StateInit } from "../domain/index.ts";
import type { CoreDeps } from "./ports.ts";

/** A new state built now, with a new id. */
export function newState(deps: CoreDeps, init: StateInit): State {
  return buildState(init, deps.ids.newId(), deps.clock.now());
}
