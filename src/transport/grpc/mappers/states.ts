/**
 * Exhaustive mappers between wire states and domain states. The domain has no UNSPECIFIED
 * type: the contract refuses an unset or unknown state type before a request gets here
 * (validate.ts), so meeting one is a bug.
 */
import { create, fromJson, type JsonValue as ProtoJsonValue, toJson } from "@bufbuild/protobuf";
import {
  type Timestamp,
  timestampDate,
  timestampFromDate,
  ValueSchema,
} from "@bufbuild/protobuf/wkt";
import {
  type StateCreate,
  type StateDetails as StateDetailsMessage,
  StateDetailsSchema,
  StateType as StateTypeProto,
} from "../../../../gen/flowgate/v1/states_pb.js";
import type {
  JsonValue,
  State,
  StateDecision,
  StateDetails,
  StateInit,
  StateType,
} from "../../../domain/index.ts";
import { uuid } from "../validate.ts";

export function stateTypeFromProto(value: StateTypeProto): StateType {
  switch (value) {
    case StateTypeProto.SCHEDULED:
      return "SCHEDULED";
    case StateTypeProto.PENDING:
      return "PENDING";
    case StateTypeProto.RUNNING:
      return "RUNNING";
    case StateTypeProto.COMPLETED:
      return "COMPLETED";
    case StateTypeProto.FAILED:
      return "FAILED";
    case StateTypeProto.CANCELLED:
      return "CANCELLED";
    case StateTypeProto.CRASHED:
      return "CRASHED";
    case StateTypeProto.PAUSED:
      return "PAUSED";
    case StateTypeProto.CANCELLING:
      return "CANCELLING";
    default:
      throw new Error(`state type ${value} reached the mapper: the request was not validated`);
  }
}

export function stateTypeToProto(type: StateType): StateTypeProto {
  switch (type) {
    case "SCHEDULED":
      return StateTypeProto.SCHEDULED;
    case "PENDING":
      return StateTypeProto.PENDING;
    case "RUNNING":
      return StateTypeProto.RUNNING;
    case "COMPLETED":
      return StateTypeProto.COMPLETED;
    case "FAILED":
      return StateTypeProto.FAILED;
    case "CANCELLED":
      return StateTypeProto.CANCELLED;
    case "CRASHED":
      return StateTypeProto.CRASHED;
    case "PAUSED":
      return StateTypeProto.PAUSED;
    case "CANCELLING":
      return StateTypeProto.CANCELLING;
    default:
      return assertNever(type);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected value ${String(value)}`);
}

/** A client's proposed state. */
export function stateInitFromProto(message: StateCreate): StateInit {
  return {
    type: stateTypeFromProto(message.type),
    name: message.name === "" ? null : message.name,
    message: message.message === "" ? null : message.message,
    stateDetails: detailsFromProto(message.stateDetails),
    data: message.data === undefined ? null : (toJson(ValueSchema, message.data) as JsonValue),
  };
}

/** Proto3 cannot tell "" from absent: empty strings and false flags count as not given. */
function detailsFromProto(d: StateDetailsMessage | undefined): StateDetails {
  if (d === undefined) return {};
  const details: StateDetails = {};
  const id = (value: string) => (value === "" ? undefined : uuid(value));
  const text = (value: string) => (value === "" ? undefined : value);
  const date = (value: Timestamp | undefined) =>
    value === undefined ? undefined : timestampDate(value);
  assign(details, "flowRunId", id(d.flowRunId));
  assign(details, "taskRunId", id(d.taskRunId));
  assign(details, "childFlowRunId", id(d.childFlowRunId));
  assign(details, "scheduledTime", date(d.scheduledTime));
  assign(details, "cacheKey", text(d.cacheKey));
  assign(details, "cacheExpiration", date(d.cacheExpiration));
  assign(details, "refreshCache", d.refreshCache);
  assign(details, "pauseTimeout", date(d.pauseTimeout));
  assign(details, "pauseReschedule", d.pauseReschedule || undefined);
  assign(details, "pauseKey", text(d.pauseKey));
  assign(
    details,
    "runInputKeyset",
    Object.keys(d.runInputKeyset).length > 0 ? { ...d.runInputKeyset } : undefined,
  );
  assign(details, "retriable", d.retriable);
  assign(details, "transitionId", text(d.transitionId));
  assign(details, "taskParametersId", text(d.taskParametersId));
  assign(details, "deferred", d.deferred || undefined);
  assign(details, "untrackableResult", d.untrackableResult || undefined);
  assign(details, "traceparent", text(d.traceparent));
  assign(details, "deploymentConcurrencyLeaseId", id(d.deploymentConcurrencyLeaseId));
  return details;
}

function assign<K extends keyof StateDetails>(
  details: StateDetails,
  key: K,
  value: StateDetails[K] | undefined,
): void {
  if (value !== undefined) details[key] = value;
}

export function stateToProto(state: State) {
  return {
    id: state.id,
    type: stateTypeToProto(state.type),
    name: state.name,
    timestamp: timestampFromDate(state.timestamp),
    message: state.message ?? "",
    stateDetails: detailsToProto(state.stateDetails),
    data: state.data === null ? undefined : fromJson(ValueSchema, state.data as ProtoJsonValue),
    decision: state.decision == null ? undefined : decisionToProto(state.decision),
  };
}

function decisionToProto(decision: StateDecision) {
  return {
    policy: decision.policy,
    firedRules: [...decision.firedRules],
    fizzledRules: [...decision.fizzledRules],
    rejected: decision.rejected,
    reason: decision.reason ?? "",
  };
}

function detailsToProto(d: StateDetails) {
  const ts = (value: Date | null | undefined) =>
    value == null ? undefined : timestampFromDate(value);
  return create(StateDetailsSchema, {
    flowRunId: d.flowRunId ?? "",
    taskRunId: d.taskRunId ?? "",
    childFlowRunId: d.childFlowRunId ?? "",
    scheduledTime: ts(d.scheduledTime),
    cacheKey: d.cacheKey ?? "",
    cacheExpiration: ts(d.cacheExpiration),
    refreshCache: d.refreshCache ?? undefined,
    pauseTimeout: ts(d.pauseTimeout),
    pauseReschedule: d.pauseReschedule ?? false,
    pauseKey: d.pauseKey ?? "",
    runInputKeyset: d.runInputKeyset ?? {},
    retriable: d.retriable ?? undefined,
    transitionId: d.transitionId ?? "",
    taskParametersId: d.taskParametersId ?? "",
    deferred: d.deferred ?? false,
    untrackableResult: d.untrackableResult ?? false,
    traceparent: d.traceparent ?? "",
    deploymentConcurrencyLeaseId: d.deploymentConcurrencyLeaseId ?? "",
  });
}
