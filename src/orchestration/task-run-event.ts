/**
 * The state-change event of a task run: WatchTaskRun streams task runs' committed states
 * from the outbox, so every state a task run commits produces one
 * `prefect.task-run.<state name>` event in the same transaction (an event exists iff its
 * state committed). Prefect emits these from its client; flowgate writes them itself.
 */
import type { State, TaskRun } from "../domain/index.ts";
import type { RunStateEvent } from "./ports.ts";

/** The event of the state `state` that the task run `run` has just been given. */
export function taskRunStateEvent(run: TaskRun, state: State): RunStateEvent {
  return {
    event: `prefect.task-run.${state.name}`,
    id: state.id,
    occurred: state.timestamp,
    follows: null,
    resource: {
      "prefect.resource.id": `prefect.task-run.${run.id}`,
      "prefect.resource.name": run.name,
      "prefect.state-name": state.name,
      "prefect.state-type": state.type,
    },
    related:
      run.flowRunId === null
        ? []
        : [
            {
              "prefect.resource.id": `prefect.flow-run.${run.flowRunId}`,
              "prefect.resource.role": "flow-run",
            },
          ],
    payload: { validated_state: { type: state.type, name: state.name } },
  };
}
