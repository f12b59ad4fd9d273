/**
 * GlobalFlowPolicy (spec §3, §4.3): the bookkeeping transforms appended after whichever
 * flow policy runs, forced transitions included. The order matters: the timestamp is made
 * unique first so later transforms copy the final one, and IncrementFlowRunCount reads
 * `resuming` before RemoveResumingIndicator clears it.
 */
import type { FlowRun } from "../../domain/index.ts";
import { Policy } from "../policy.ts";
import type { FlowOrchestrationDeps } from "../ports.ts";
import { EnsureFlowRunStateTimestampIsUnique } from "../rules/ensure-flow-run-state-timestamp-is-unique.ts";
import { IncrementFlowRunCount } from "../rules/increment-flow-run-count.ts";
import { IncrementRunTime } from "../rules/increment-run-time.ts";
import { RemoveResumingIndicator } from "../rules/remove-resuming-indicator.ts";
import { SetEndTime } from "../rules/set-end-time.ts";
import { SetExpectedStartTime } from "../rules/set-expected-start-time.ts";
import { SetNextScheduledStartTime } from "../rules/set-next-scheduled-start-time.ts";
import { SetRunStateName } from "../rules/set-run-state-name.ts";
import { SetRunStateTimestamp } from "../rules/set-run-state-timestamp.ts";
import { SetRunStateType } from "../rules/set-run-state-type.ts";
import { SetStartTime } from "../rules/set-start-time.ts";
import { UpdateStateDetails } from "../rules/update-state-details.ts";
import { UpdateSubflowParentTask } from "../rules/update-subflow-parent-task.ts";
import { UpdateSubflowStateDetails } from "../rules/update-subflow-state-details.ts";

/** The global transforms of every flow-run transition. */
export const GlobalFlowPolicy = new Policy<FlowRun, FlowOrchestrationDeps>("GlobalFlowPolicy", [
  EnsureFlowRunStateTimestampIsUnique,
  SetRunStateType,
  SetRunStateName,
  SetRunStateTimestamp,
  SetStartTime,
  SetEndTime,
  IncrementRunTime,
  SetExpectedStartTime,
  SetNextScheduledStartTime,
  UpdateStateDetails,
  UpdateSubflowParentTask,
  UpdateSubflowStateDetails,
  IncrementFlowRunCount,
  RemoveResumingIndicator,
]);
