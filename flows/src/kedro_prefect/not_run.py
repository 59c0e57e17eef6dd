"""Nodes that never ran because an upstream node failed: ended, not left Pending.

Prefect ends a task run whose ``wait_for`` upstream failed in ``Pending``
(named ``NotReady``) and leaves it there: a failed flow run, and the same flow
run after a successful retry, would show those task runs as Pending forever
("28 Completed, 9 Pending, 1 Failed"). Pending says "will run", which is false.

The bridge ends each of them in a final state that says what happened:
type ``CANCELLED`` (final, not a failure of its own: the failure is the
upstream node's, counted once), named :data:`NOT_RUN`, with the message
``not run: upstream node 'x' failed``. ``Failed`` was the alternative; it would
count one failure as many and make the UI's failed list name nodes that did
nothing. The state is set through the client's public ``set_task_run_state``
once the server has recorded the task run (task-run states reach the server
through events, a moment after the engine emits them).

A retry of the flow run starts new task runs; those of an earlier attempt that
are still not final (the attempt's process died mid-run: no one ended them) are
ended the same way, as superseded, when the next attempt starts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    TaskRunFilter,
    TaskRunFilterState,
    TaskRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.exceptions import ObjectNotFound
from prefect.states import Cancelled, State

log = logging.getLogger(__name__)

NOT_RUN = "NotRun"
# How long to wait for the server to record a task run before ending it.
RECORDED_TIMEOUT_S = 60.0
_UNFINISHED = [StateType.PENDING, StateType.SCHEDULED, StateType.RUNNING, StateType.PAUSED]


def not_run_state(failed_upstream: Iterable[str]) -> State:
    """The final state of a node not run because these upstream nodes failed."""
    names = ", ".join(repr(name) for name in sorted(failed_upstream)) or "an upstream node"
    plural = "s" if "," in names else ""
    return Cancelled(name=NOT_RUN, message=f"not run: upstream node{plural} {names} failed")


def failed_ancestors(
    node: str, upstream: Mapping[str, Iterable[str]], failed: set[str]
) -> set[str]:
    """The failed nodes ``node`` depends on, directly or through nodes that did not run."""
    found: set[str] = set()
    todo, seen = list(upstream.get(node, ())), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in failed:
            found.add(name)
        else:
            todo.extend(upstream.get(name, ()))
    return found


def end_not_run(task_runs: Mapping[UUID, State]) -> dict[UUID, State]:
    """Set each task run to its state, once the server has recorded the run's own
    last state (so that no late event of the engine overwrites ours). Returns the
    states set; a task run the server never showed keeps its state (logged)."""
    done: dict[UUID, State] = {}
    if not task_runs:
        return done
    deadline = time.monotonic() + RECORDED_TIMEOUT_S
    with get_client(sync_client=True) as client:
        for task_run_id, state in task_runs.items():
            while True:
                try:
                    recorded = client.read_task_run(task_run_id).state
                except ObjectNotFound:
                    recorded = None
                if recorded is not None and (recorded.name == "NotReady" or recorded.is_final()):
                    break
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            if recorded is not None and recorded.is_final():
                continue  # someone (a cancellation) ended it already
            if recorded is None:
                log.warning("task run %s never reached the server: left as it is", task_run_id)
                continue
            client.set_task_run_state(task_run_id, state, force=True)
            done[task_run_id] = state
    return done


_PAGE = 200  # the most task runs the server returns at once


def end_earlier_attempts(flow_run_id: UUID, attempt: int) -> int:
    """End the task runs of this flow run's earlier attempts that are not final
    (their process died before it could end them); returns how many."""
    if attempt <= 1:
        return 0
    with get_client(sync_client=True) as client:
        stale: list[Any] = []
        while True:  # page by page: a large pipeline leaves more than one page
            page = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
                task_run_filter=TaskRunFilter(
                    state=TaskRunFilterState(type=TaskRunFilterStateType(any_=_UNFINISHED))
                ),
                limit=_PAGE,
                offset=len(stale),
            )
            stale.extend(page)
            if len(page) < _PAGE:
                break
        for task_run in stale:
            state = Cancelled(
                name=NOT_RUN,
                message=f"not run in this attempt: superseded by attempt {attempt}",
            )
            client.set_task_run_state(task_run.id, state, force=True)
    if stale:
        log.info("ended %d unfinished task run(s) of earlier attempts", len(stale))
    return len(stale)
