#!/usr/bin/python3
"""A flowgate worker in Python: creates a flow and a run, then drives the run by obeying
every OrchestrationResult the server answers.

The simulated work fails on its first attempt and succeeds on the second, so with
`retries: 1` the run goes PENDING -> RUNNING -> FAILED, which the server rejects into
SCHEDULED/AwaitingRetry, then RUNNING -> COMPLETED.

Needs only Debian's python3-grpcio and python3-protobuf plus the modules generate.sh writes
(put their directory on PYTHONPATH). Usage:

    worker.py [ADDRESS]     ADDRESS defaults to $FLOWGATE_ADDRESS, else 127.0.0.1:50051

Exit codes: 0 the run completed; 1 the run ended in another state or an RPC failed for
good; 3 the server answered ABORT and the worker stopped.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from typing import Callable, Protocol, TypeVar

import grpc

from flowgate.v1 import flow_pb2, flow_pb2_grpc, flow_run_pb2, flow_run_pb2_grpc
from flowgate.v1 import orchestration_pb2, states_pb2

StateType = states_pb2.StateType
Status = orchestration_pb2.SetStateStatus

# Codes worth sending the same request again for: UNAVAILABLE (the server or the network
# went away, the call may or may not have committed) and ABORTED (a transaction conflict
# the server rolled back). Any other code is a bug or a bad request and retrying won't help.
RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.ABORTED})
MAX_ATTEMPTS = 6
RPC_TIMEOUT_SECONDS = 10.0
# Bounds the whole conversation so a server that keeps answering WAIT or REJECT in a loop
# can't keep the worker busy forever.
MAX_PROPOSALS = 50

T = TypeVar("T")
Sleep = Callable[[float], None]


class SetFlowRunStateStub(Protocol):
    """The one method drive() needs; the generated stub has it, and so can a test fake."""

    def SetFlowRunState(
        self, request: flow_run_pb2.SetFlowRunStateRequest, timeout: float | None = None
    ) -> flow_run_pb2.SetFlowRunStateResponse: ...


def call_with_retries(rpc: Callable[[], T], sleep: Sleep = time.sleep) -> T:
    """Calls rpc() again after UNAVAILABLE or ABORTED, with exponential backoff.

    The caller builds the request once and rpc() resends that very message: for a state
    proposal it carries the same transition_id, so if the first attempt did commit and only
    the answer was lost, the server recognises the replay and writes nothing twice.
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return rpc()
        except grpc.RpcError as error:
            code = error.code()  # type: ignore[attr-defined]  # call errors are grpc.Call too
            if code not in RETRYABLE or attempt == MAX_ATTEMPTS:
                raise
            delay = min(0.1 * 2 ** (attempt - 1), 2.0)
            print(f"  rpc answered {code.name}; retrying in {delay:.1f}s (attempt {attempt})")
            sleep(delay)
    raise AssertionError("unreachable")


def type_name(state_type: int) -> str:
    """STATE_TYPE_RUNNING -> RUNNING, for readable output."""
    return StateType.Name(state_type).removeprefix("STATE_TYPE_")


def describe(state: states_pb2.State) -> str:
    """e.g. "AwaitingRetry (SCHEDULED)"."""
    return f"{state.name or '-'} ({type_name(state.type)})"


def status_name(status: int) -> str:
    """SET_STATE_STATUS_REJECT -> REJECT."""
    return Status.Name(status).removeprefix("SET_STATE_STATUS_")


def reason_of(result: orchestration_pb2.OrchestrationResult) -> str:
    """The reason of a REJECT, WAIT or ABORT; ACCEPT has none."""
    kind = result.WhichOneof("details")
    return getattr(result, kind).reason if kind in ("reject", "wait", "abort") else ""


class Aborted(Exception):
    """The server answered ABORT: the run must not go on from this worker."""


def propose(
    runs: SetFlowRunStateStub,
    run_id: str,
    state_type: int,
    name: str,
    message: str = "",
    sleep: Sleep = time.sleep,
) -> states_pb2.State:
    """Proposes one state and obeys the answer; returns the state the run is now in.

    ACCEPT: the proposed state was written. REJECT: the server wrote (or kept) another state,
    which we adopt. WAIT: nothing was written; sleep as told and propose again. ABORT:
    nothing was written; raise Aborted so the caller stops.
    """
    # One transition_id per intended transition. It stays the same across transport retries
    # and WAIT re-proposals (neither wrote a state), which is what lets the server tell a
    # replay from a new transition.
    request = flow_run_pb2.SetFlowRunStateRequest(
        flow_run_id=run_id,
        state=states_pb2.StateCreate(
            type=state_type,
            name=name,
            message=message,
            state_details=states_pb2.StateDetails(transition_id=str(uuid.uuid4())),
        ),
    )
    while True:
        response = call_with_retries(
            lambda: runs.SetFlowRunState(request, timeout=RPC_TIMEOUT_SECONDS), sleep
        )
        result = response.result
        state = result.state
        # One line per decision: what we proposed, what the server said, where the run is.
        print(
            f"decision: proposed={type_name(state_type)} status={status_name(result.status)}"
            f' reason="{reason_of(result)}" state={describe(state)}',
            flush=True,
        )
        if result.status in (Status.SET_STATE_STATUS_ACCEPT, Status.SET_STATE_STATUS_REJECT):
            return state
        if result.status == Status.SET_STATE_STATUS_WAIT:
            # The server counts in whole seconds; never spin on a 0.
            sleep(max(result.wait.delay_seconds, 0.1))
            continue
        raise Aborted(reason_of(result) or "no reason given")


def do_work(attempt: int) -> str | None:
    """The flow's body: fails on its first attempt (to exercise retries), then succeeds.
    Returns an error message, or None on success."""
    return "simulated failure on the first attempt" if attempt == 1 else None


def drive(
    runs: SetFlowRunStateStub, run_id: str, state: states_pb2.State, sleep: Sleep = time.sleep
) -> states_pb2.State:
    """Moves the run on from `state` until it is final, always from the state the server
    says the run is in (never from what we asked for). Returns the final state."""
    attempt = 0
    for _ in range(MAX_PROPOSALS):
        if state.type in (StateType.STATE_TYPE_SCHEDULED, StateType.STATE_TYPE_PENDING):
            # Ready (or AwaitingRetry): start. If it's too early the server answers WAIT.
            state = propose(runs, run_id, StateType.STATE_TYPE_RUNNING, "Running", sleep=sleep)
        elif state.type == StateType.STATE_TYPE_RUNNING:
            attempt += 1
            error = do_work(attempt)
            if error is None:
                state = propose(
                    runs, run_id, StateType.STATE_TYPE_COMPLETED, "Completed", sleep=sleep
                )
            else:
                # With retries left the server rejects this into SCHEDULED/AwaitingRetry.
                state = propose(runs, run_id, StateType.STATE_TYPE_FAILED, "Failed", error, sleep)
        else:
            # COMPLETED, FAILED, CRASHED, CANCELLED, CANCELLING or PAUSED: not ours to move.
            return state
    raise RuntimeError(f"gave up after {MAX_PROPOSALS} proposals in state {state.name}")


def create_run(
    flows: flow_pb2_grpc.FlowServiceStub, runs: flow_run_pb2_grpc.FlowRunServiceStub
) -> flow_run_pb2.FlowRun:
    """Creates the example flow and one run of it with one retry; returns the run."""
    # CreateFlow is idempotent on the name, so retrying it is always safe.
    flow_request = flow_pb2.CreateFlowRequest(name="python-worker-example")
    flow = call_with_retries(
        lambda: flows.CreateFlow(flow_request, timeout=RPC_TIMEOUT_SECONDS)
    ).flow
    # CreateFlowRun is idempotent on (flow_id, idempotency_key): a retry after a lost answer
    # returns the run the first attempt created instead of making a second one.
    run_request = flow_run_pb2.CreateFlowRunRequest(
        flow_id=flow.id,
        name="python-worker-run",
        idempotency_key=str(uuid.uuid4()),
        empirical_policy=flow_run_pb2.FlowRunPolicy(retries=1, retry_delay=0),
    )
    run = call_with_retries(
        lambda: runs.CreateFlowRun(run_request, timeout=RPC_TIMEOUT_SECONDS)
    ).flow_run
    print(f"created flow {flow.id} and run {run.id} in state {describe(run.state)}", flush=True)
    return run


def main(argv: list[str]) -> int:
    default = os.environ.get("FLOWGATE_ADDRESS", "127.0.0.1:50051")
    address = argv[1] if len(argv) > 1 else default
    # flowgate serves plaintext gRPC; behind a TLS mesh use grpc.secure_channel instead.
    with grpc.insecure_channel(address) as channel:
        flows = flow_pb2_grpc.FlowServiceStub(channel)
        runs = flow_run_pb2_grpc.FlowRunServiceStub(channel)

        run = create_run(flows, runs)
        try:
            final = drive(runs, run.id, run.state)
        except Aborted as abort:
            print(f"stopped: the server aborted the transition: {abort}", flush=True)
            return 3
    print(f"run {run.id} finished in state {describe(final)}", flush=True)
    return 0 if final.type == StateType.STATE_TYPE_COMPLETED else 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except grpc.RpcError as error:
        # A non-retryable code, or retries exhausted: report it plainly, without a traceback.
        code, details = error.code(), error.details()  # type: ignore[attr-defined]
        print(f"rpc failed: {code.name}: {details}", file=sys.stderr)
        sys.exit(1)
