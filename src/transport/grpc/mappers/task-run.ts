/** Task runs on the wire. */
import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { TaskRunPolicy as TaskRunPolicyMessage } from "../../../../gen/flowgate/v1/task_run_pb.js";
import type { TaskRunRecord } from "../../../application/task-run-store.ts";
import { defaultTaskRunPolicy, type TaskRunPolicy } from "../../../domain/index.ts";
import { stateToProto, stateTypeToProto } from "./states.ts";

const ts = (value: Date | null) => (value === null ? undefined : timestampFromDate(value));

export function taskRunToProto(record: TaskRunRecord) {
  const { run } = record;
  const delay = run.empiricalPolicy.retryDelay;
  return {
    id: run.id,
    flowRunId: run.flowRunId ?? "",
    taskKey: run.taskKey,
    dynamicKey: run.dynamicKey,
    name: run.name,
    tags: [...run.tags],
    empiricalPolicy: {
      retries: run.empiricalPolicy.retries ?? undefined,
      retryDelay: delay === null ? [] : Array.isArray(delay) ? [...delay] : [delay],
      retryJitterFactor: run.empiricalPolicy.retryJitterFactor ?? undefined,
    },
    state: record.state === null ? undefined : stateToProto(record.state),
    stateType: run.stateType === null ? undefined : stateTypeToProto(run.stateType),
    stateName: run.stateName ?? "",
    runCount: run.runCount,
    flowRunRunCount: run.flowRunRunCount,
    startTime: ts(run.startTime),
    endTime: ts(run.endTime),
    totalRunTime: durationFromMs(Math.round(run.totalRunTime * 1000)),
    expectedStartTime: ts(run.expectedStartTime),
    nextScheduledStartTime: ts(run.nextScheduledStartTime),
    created: timestampFromDate(record.created),
    updated: timestampFromDate(record.updated),
    cacheKey: run.cacheKey ?? "",
    cacheExpiration: ts(run.cacheExpiration),
  };
}

/** One delay applies to every retry; a list gives one per retry (at most 50: the contract). */
export function taskPolicyFromProto(message: TaskRunPolicyMessage | undefined): TaskRunPolicy {
  const policy = defaultTaskRunPolicy();
  if (message === undefined) return policy;
  const delays = message.retryDelay;
  return {
    retries: message.retries ?? null,
    retryDelay: delays.length === 0 ? null : delays.length === 1 ? delays[0]! : [...delays],
    retryJitterFactor: message.retryJitterFactor ?? null,
  };
}
