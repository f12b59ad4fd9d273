/** Flow runs on the wire, including the fields computed on read (spec §1.5). */
import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type FlowRunPolicy as FlowRunPolicyMessage,
  RetryType as RetryTypeProto,
} from "../../../../gen/flowgate/v1/flow_run_pb.js";
import type { FlowRunRecord } from "../../../application/flow-run-store.ts";
import {
  defaultFlowRunPolicy,
  type FlowRunPolicy,
  isTerminalStateType,
} from "../../../domain/index.ts";
import { stateToProto, stateTypeToProto } from "./states.ts";

const ts = (value: Date | null) => (value === null ? undefined : timestampFromDate(value));
/** Durations on the wire have whole nanoseconds; run times are fractional seconds. */
const duration = (ms: number) => durationFromMs(Math.round(ms));

export function flowRunToProto(record: FlowRunRecord, now: Date) {
  const { run } = record;
  return {
    id: run.id,
    flowId: run.flowId,
    deploymentId: run.deploymentId ?? "",
    name: run.name,
    parameters: record.parameters,
    tags: [...run.tags],
    parentTaskRunId: run.parentTaskRunId ?? "",
    infrastructurePid: run.infrastructurePid ?? "",
    idempotencyKey: run.idempotencyKey ?? "",
    empiricalPolicy: policyToProto(run.empiricalPolicy),
    state: record.state === null ? undefined : stateToProto(record.state),
    stateType: run.stateType === null ? undefined : stateTypeToProto(run.stateType),
    stateName: run.stateName ?? "",
    runCount: run.runCount,
    startTime: ts(run.startTime),
    endTime: ts(run.endTime),
    totalRunTime: duration(run.totalRunTime * 1000),
    expectedStartTime: ts(run.expectedStartTime),
    nextScheduledStartTime: ts(run.nextScheduledStartTime),
    estimatedRunTime: duration(estimatedRunTimeMs(record, now)),
    estimatedStartTimeDelta: duration(estimatedStartTimeDeltaMs(record, now)),
    created: timestampFromDate(record.created),
    updated: timestampFromDate(record.updated),
  };
}

/** RUNNING: total run time plus the time since the state began; otherwise the total. */
function estimatedRunTimeMs({ run }: FlowRunRecord, now: Date): number {
  const total = run.totalRunTime * 1000;
  if (run.stateType === "RUNNING" && run.stateTimestamp !== null) {
    return total + Math.max(0, now.getTime() - run.stateTimestamp.getTime());
  }
  return total;
}

/** How late the run started, or is, against its expected start time. */
function estimatedStartTimeDeltaMs({ run }: FlowRunRecord, now: Date): number {
  const expected = run.expectedStartTime;
  if (expected === null) return 0;
  if (run.startTime !== null) return Math.max(0, run.startTime.getTime() - expected.getTime());
  const notTerminal = run.stateType === null || !isTerminalStateType(run.stateType);
  return expected < now && notTerminal ? now.getTime() - expected.getTime() : 0;
}

function policyToProto(policy: FlowRunPolicy) {
  return {
    retries: policy.retries ?? undefined,
    retryDelay: policy.retryDelay ?? undefined,
    pauseKeys: [...policy.pauseKeys],
    resuming: policy.resuming,
    retryType:
      policy.retryType === "in_process"
        ? RetryTypeProto.IN_PROCESS
        : policy.retryType === "reschedule"
          ? RetryTypeProto.RESCHEDULE
          : RetryTypeProto.UNSPECIFIED,
  };
}

export function policyFromProto(message: FlowRunPolicyMessage | undefined): FlowRunPolicy {
  const policy = defaultFlowRunPolicy();
  if (message === undefined) return policy;
  return {
    ...policy,
    retries: message.retries ?? null,
    retryDelay: message.retryDelay ?? null,
    pauseKeys: [...new Set(message.pauseKeys)],
    resuming: message.resuming,
    retryType:
      message.retryType === RetryTypeProto.IN_PROCESS
        ? "in_process"
        : message.retryType === RetryTypeProto.RESCHEDULE
          ? "reschedule"
          : null,
  };
}
