/** Factories for task-run e2e tests: each call makes fresh rows. */
import { randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ConcurrencyLimitService } from "../../gen/flowgate/v1/concurrency_limit_pb.js";
import { FlowService } from "../../gen/flowgate/v1/flow_pb.js";
import { FlowRunService } from "../../gen/flowgate/v1/flow_run_pb.js";
import type { StateCreateSchema } from "../../gen/flowgate/v1/states_pb.js";
import {
  type CreateTaskRunRequestSchema,
  TaskRunService,
} from "../../gen/flowgate/v1/task_run_pb.js";
import type { TestServer } from "./server.ts";

export function taskRunHelpers(server: TestServer) {
  const tasks = server.client(TaskRunService);
  const flowRuns = server.client(FlowRunService);
  const limits = server.client(ConcurrencyLimitService);

  return {
    tasks,
    flowRuns,
    limits,
    /** A flow run in RUNNING, so its tasks may run. */
    async newFlowRun(): Promise<string> {
      const flowId = (await server.client(FlowService).createFlow({ name: `flow-${randomUUID()}` }))
        .flow!.id;
      const run = (await flowRuns.createFlowRun({ flowId })).flowRun!;
      await flowRuns.setFlowRunState({ flowRunId: run.id, state: { type: 3 /* RUNNING */ } });
      return run.id;
    },
    async newTask(init: MessageInitShape<typeof CreateTaskRunRequestSchema>) {
      return (await tasks.createTaskRun({ taskKey: "task", dynamicKey: randomUUID(), ...init }))
        .taskRun!;
    },
    async propose(
      taskRunId: string,
      state: MessageInitShape<typeof StateCreateSchema>,
      force = false,
    ) {
      return (await tasks.setTaskRunState({ taskRunId, state, force })).result!;
    },
  };
}
