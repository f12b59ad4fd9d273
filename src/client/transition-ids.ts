/**
 * Transition ids for state proposals. A `state.state_details.transition_id` is what lets the
 * server tell a replay from a new transition: a proposal whose id equals the one on the
 * run's current state is answered without writing a second state (PreventDuplicateTransitions).
 * The client fills one in when the caller did not, before the first attempt, so every retry
 * of the call carries the same id.
 */
import { randomUUID } from "node:crypto";
import { create, isMessage } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { SetFlowRunStateRequestSchema } from "../../gen/flowgate/v1/flow_run_pb.js";
import { StateDetailsSchema } from "../../gen/flowgate/v1/states_pb.js";
import { SetTaskRunStateRequestSchema } from "../../gen/flowgate/v1/task_run_pb.js";

/** A fresh transition id (a random UUID); reuse it to re-propose after a WAIT. */
export function newTransitionId(): string {
  return randomUUID();
}

/** Fills `state.state_details.transition_id` of SetFlowRunState / SetTaskRunState requests. */
export function transitionIdInterceptor(newId: () => string = newTransitionId): Interceptor {
  return (next) => async (request) => {
    const { message } = request;
    if (
      isMessage(message, SetFlowRunStateRequestSchema) ||
      isMessage(message, SetTaskRunStateRequestSchema)
    ) {
      const { state } = message;
      if (state !== undefined) {
        state.stateDetails ??= create(StateDetailsSchema);
        if (state.stateDetails.transitionId === "") state.stateDetails.transitionId = newId();
      }
    }
    return next(request);
  };
}
