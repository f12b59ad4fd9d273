/**
 * GlobalTaskPolicy (spec §3, §4.3): the bookkeeping transforms appended after whichever
 * task policy runs, forced transitions included. EnsureTaskRunStateTimestampIsUnique is
 * flowgate's addition (Fix §8.2.5) and comes first, so later transforms copy the final
 * timestamp, as in GlobalFlowPolicy.
 */
import type { TaskRun } from "../../domain/index.ts";
import { Policy } from "../policy.ts";
import type { TaskOrchestrationDeps } from "../ports.ts";
import { EnsureTaskRunStateTimestampIsUnique } from "../rules/ensure-task-run-state-timestamp-is-unique.ts";
import { IncrementRunTime } from "../rules/increment-run-time.ts";
import { IncrementTaskRunCount } from "../rules/increment-task-run-count.ts";
import { SetEndTime } from "../rules/set-end-time.ts";
import { SetExpectedStartTime } from "../rules/set-expected-start-time.ts";
import { SetNextScheduledStartTime } from "../rules/set-next-scheduled-start-time.ts";
import { SetRunStateName } from "../rules/set-run-state-name.ts";
import { SetRunStateTimestamp } from "../rules/set-run-state-timestamp.ts";
import { SetRunStateType } from "../rules/set-run-state-type.ts";
import { SetStartTime } from "../rules/set-start-time.ts";
import { UpdateStateDetails } from "../rules/update-state-details.ts";

/** The global transforms of every task-run transition. */
export const GlobalTaskPolicy = new Policy<TaskRun, TaskOrchestrationDeps>("GlobalTaskPolicy", [
  EnsureTaskRunStateTimestampIsUnique,
  SetRunStateType,
  SetRunStateName,
  SetRunStateTimestamp,
  SetStartTime,
  SetEndTime,
  IncrementRunTime,
  SetExpectedStartTime,
  SetNextScheduledStartTime,
  UpdateStateDetails,
  IncrementTaskRunCount,
]);
