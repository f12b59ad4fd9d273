"""Tests of the worker's obedience and retries that a healthy server can't provoke:
WAIT, ABORT, UNAVAILABLE/ABORTED replays, and (against a real server, when
FLOWGATE_ADDRESS is set) an answer lost after the server committed.

Run with the generated modules on PYTHONPATH:
    PYTHONPATH=OUT_DIR:examples/python-worker python3 -m unittest discover -s examples/python-worker
"""

from __future__ import annotations

import os
import unittest
from typing import Callable

import grpc

import worker
from flowgate.v1 import flow_pb2_grpc, flow_run_pb2, flow_run_pb2_grpc, orchestration_pb2
from flowgate.v1 import states_pb2

StateType = states_pb2.StateType
Status = orchestration_pb2.SetStateStatus
Request = flow_run_pb2.SetFlowRunStateRequest
Response = flow_run_pb2.SetFlowRunStateResponse


class FakeRpcError(grpc.RpcError):
    """What a failed call raises: an RpcError that is also a grpc.Call (code, details)."""

    def __init__(self, code: grpc.StatusCode) -> None:
        super().__init__(code.name)
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return "injected"


def answer(
    status: int, state_type: int, name: str, wait_seconds: int = 0, reason: str = ""
) -> Response:
    result = orchestration_pb2.OrchestrationResult(
        status=status, state=states_pb2.State(type=state_type, name=name)
    )
    if status == Status.SET_STATE_STATUS_WAIT:
        result.wait.delay_seconds = wait_seconds
        result.wait.reason = reason
    elif status == Status.SET_STATE_STATUS_ABORT:
        result.abort.reason = reason
    return Response(result=result)


class ScriptedRuns:
    """A fake FlowRunService: answers SetFlowRunState from a script and records requests.
    A script entry is either a Response or an exception to raise."""

    def __init__(self, script: list[Response | Exception]) -> None:
        self.script = list(script)
        self.requests: list[Request] = []

    def SetFlowRunState(self, request: Request, timeout: float | None = None) -> Response:
        self.requests.append(request)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def transition_ids(runs: ScriptedRuns) -> list[str]:
    return [r.state.state_details.transition_id for r in runs.requests]


class ObeysTheServer(unittest.TestCase):
    def setUp(self) -> None:
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def propose_running(self, runs: ScriptedRuns) -> states_pb2.State:
        running = StateType.STATE_TYPE_RUNNING
        return worker.propose(runs, "run", running, "Running", sleep=self.sleep)

    def test_unavailable_and_aborted_are_retried_with_the_same_transition_id(self) -> None:
        runs = ScriptedRuns(
            [
                FakeRpcError(grpc.StatusCode.UNAVAILABLE),
                FakeRpcError(grpc.StatusCode.ABORTED),
                answer(Status.SET_STATE_STATUS_ACCEPT, StateType.STATE_TYPE_RUNNING, "Running"),
            ]
        )
        state = self.propose_running(runs)
        self.assertEqual(state.type, StateType.STATE_TYPE_RUNNING)
        ids = transition_ids(runs)
        self.assertEqual(len(ids), 3)
        self.assertTrue(ids[0])
        self.assertEqual(len(set(ids)), 1, "a retry must replay the same transition_id")

    def test_other_codes_are_not_retried(self) -> None:
        runs = ScriptedRuns([FakeRpcError(grpc.StatusCode.INVALID_ARGUMENT)])
        with self.assertRaises(grpc.RpcError):
            self.propose_running(runs)
        self.assertEqual(len(runs.requests), 1)

    def test_wait_sleeps_as_told_then_proposes_again(self) -> None:
        runs = ScriptedRuns(
            [
                answer(
                    Status.SET_STATE_STATUS_WAIT,
                    StateType.STATE_TYPE_SCHEDULED,
                    "Scheduled",
                    wait_seconds=7,
                    reason="Scheduled time is in the future",
                ),
                answer(Status.SET_STATE_STATUS_ACCEPT, StateType.STATE_TYPE_RUNNING, "Running"),
            ]
        )
        state = self.propose_running(runs)
        self.assertEqual(state.type, StateType.STATE_TYPE_RUNNING)
        self.assertEqual(self.sleeps, [7])
        # Nothing was written on WAIT, so it is still the same intended transition.
        self.assertEqual(len(set(transition_ids(runs))), 1)

    def test_abort_stops_the_worker(self) -> None:
        runs = ScriptedRuns(
            [
                answer(
                    Status.SET_STATE_STATUS_ABORT,
                    StateType.STATE_TYPE_CANCELLED,
                    "Cancelled",
                    reason="Run is already in terminal state CANCELLED.",
                )
            ]
        )
        pending = states_pb2.State(type=StateType.STATE_TYPE_PENDING, name="Pending")
        with self.assertRaises(worker.Aborted):
            worker.drive(runs, "run", pending, sleep=self.sleep)
        self.assertEqual(len(runs.requests), 1)

    def test_reject_adopts_the_returned_state_and_each_transition_gets_a_fresh_id(self) -> None:
        pending = states_pb2.State(type=StateType.STATE_TYPE_PENDING, name="Pending")
        runs = ScriptedRuns(
            [
                answer(Status.SET_STATE_STATUS_ACCEPT, StateType.STATE_TYPE_RUNNING, "Running"),
                # The server answers the FAILED proposal with AwaitingRetry; the worker
                # must go back to RUNNING from there, not stop as if it had failed.
                answer(
                    Status.SET_STATE_STATUS_REJECT, StateType.STATE_TYPE_SCHEDULED, "AwaitingRetry"
                ),
                answer(Status.SET_STATE_STATUS_ACCEPT, StateType.STATE_TYPE_RUNNING, "Running"),
                answer(
                    Status.SET_STATE_STATUS_ACCEPT, StateType.STATE_TYPE_COMPLETED, "Completed"
                ),
            ]
        )
        final = worker.drive(runs, "run", pending, sleep=self.sleep)
        self.assertEqual(final.type, StateType.STATE_TYPE_COMPLETED)
        proposed = [StateType.Name(r.state.type) for r in runs.requests]
        self.assertEqual(
            proposed,
            [
                "STATE_TYPE_RUNNING",
                "STATE_TYPE_FAILED",
                "STATE_TYPE_RUNNING",
                "STATE_TYPE_COMPLETED",
            ],
        )
        self.assertEqual(len(set(transition_ids(runs))), 4)


class LosesFirstAnswer:
    """Wraps the real stub: the first SetFlowRunState reaches the server and commits, then
    the caller sees UNAVAILABLE as if the connection dropped before the answer arrived."""

    def __init__(self, runs: flow_run_pb2_grpc.FlowRunServiceStub) -> None:
        self.runs = runs
        self.lost = False

    def SetFlowRunState(self, request: Request, timeout: float | None = None) -> Response:
        response: Response = self.runs.SetFlowRunState(request, timeout=timeout)
        if not self.lost:
            self.lost = True
            raise FakeRpcError(grpc.StatusCode.UNAVAILABLE)
        return response


@unittest.skipUnless(os.environ.get("FLOWGATE_ADDRESS"), "needs FLOWGATE_ADDRESS (a server)")
class AgainstAServer(unittest.TestCase):
    def test_a_lost_answer_is_replayed_without_writing_twice(self) -> None:
        no_sleep: Callable[[float], None] = lambda _seconds: None
        with grpc.insecure_channel(os.environ["FLOWGATE_ADDRESS"]) as channel:
            runs = flow_run_pb2_grpc.FlowRunServiceStub(channel)
            run = worker.create_run(flow_pb2_grpc.FlowServiceStub(channel), runs)
            final = worker.drive(LosesFirstAnswer(runs), run.id, run.state, sleep=no_sleep)
            self.assertEqual(final.type, StateType.STATE_TYPE_COMPLETED)
            history = runs.ListFlowRunStates(
                flow_run_pb2.ListFlowRunStatesRequest(flow_run_id=run.id), timeout=10
            ).states
        # The replayed RUNNING was recognised by its transition_id: one RUNNING row, not two.
        self.assertEqual(
            [(StateType.Name(s.type).removeprefix("STATE_TYPE_"), s.name) for s in history],
            [
                ("PENDING", "Pending"),
                ("RUNNING", "Running"),
                ("SCHEDULED", "AwaitingRetry"),
                ("RUNNING", "Running"),
                ("COMPLETED", "Completed"),
            ],
        )


if __name__ == "__main__":
    unittest.main()
