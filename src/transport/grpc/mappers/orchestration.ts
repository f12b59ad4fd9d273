/** OrchestrationResult and its context, as the wire reports them. */
import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import {
  type OrchestrationResultSchema,
  SetStateStatus as SetStateStatusProto,
} from "../../../../gen/flowgate/v1/orchestration_pb.js";
import type { State } from "../../../domain/index.ts";
import type {
  OrchestrationContext,
  ResponseDetails,
  SetStateStatus,
} from "../../../orchestration/index.ts";
import { stateToProto } from "./states.ts";

export interface ResultLike {
  readonly state: State | null;
  readonly status: SetStateStatus;
  readonly details: ResponseDetails;
  /** `null` when no policy ran (a refused resume). */
  readonly context: OrchestrationContext<unknown, unknown> | null;
}

export function orchestrationResultToProto(
  result: ResultLike,
): MessageInitShape<typeof OrchestrationResultSchema> {
  const { context } = result;
  return {
    state: result.state === null ? undefined : stateToProto(result.state),
    status: statusToProto(result.status),
    details: detailsToProto(result.details),
    context:
      context === null
        ? undefined
        : {
            policy: context.policyName,
            initialState: optionalState(context.initialState),
            proposedState: optionalState(context.proposedState),
            validatedState: optionalState(context.validatedState),
            ruleSignature: [...context.ruleSignature],
            finalizationSignature: [...context.finalizationSignature],
            fizzledRules: [...context.fizzledRules],
            parameters: context.parameters as JsonObject,
          },
  };
}

function optionalState(state: State | null) {
  return state === null ? undefined : stateToProto(state);
}

function statusToProto(status: SetStateStatus): SetStateStatusProto {
  switch (status) {
    case "ACCEPT":
      return SetStateStatusProto.ACCEPT;
    case "REJECT":
      return SetStateStatusProto.REJECT;
    case "WAIT":
      return SetStateStatusProto.WAIT;
    case "ABORT":
      return SetStateStatusProto.ABORT;
  }
}

/**
 * `delay_seconds` is an int32, about 68 years: a wait for a time the contract accepts (up to
 * 9999) can be longer, and is reported as the longest delay the field holds.
 */
const MAX_DELAY_SECONDS = 2_147_483_647;

function detailsToProto(
  details: ResponseDetails,
): MessageInitShape<typeof OrchestrationResultSchema>["details"] {
  switch (details.type) {
    case "accept_details":
      return { case: "accept" as const, value: {} };
    case "reject_details":
      return { case: "reject" as const, value: { reason: details.reason ?? "" } };
    case "wait_details":
      return {
        case: "wait" as const,
        value: {
          reason: details.reason ?? "",
          delaySeconds: Math.min(details.delaySeconds, MAX_DELAY_SECONDS),
        },
      };
    case "abort_details":
      return { case: "abort" as const, value: { reason: details.reason ?? "" } };
  }
}
