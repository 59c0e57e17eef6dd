"""What a failed node says first: its root cause.

Kedro wraps dataset errors (``DatasetError: raw_pages: Failed while saving data
to dataset PartitionedDataset(...)``) around the error that matters (a refused
connection naming its URL, a missing file naming its path); Prefect prefixes
"Task run encountered an exception". An operator reading a flow run's state
message or the console needs the innermost cause first, with the node's name;
the whole chain stays in the task run's logs.
"""

from __future__ import annotations

import traceback
from typing import Any

MAX_CAUSE_CHARS = 500


def root_cause(exc: BaseException) -> BaseException:
    """The innermost exception of ``exc``'s chain (explicit causes, then implicit
    context unless suppressed). A cancellation inside the chain is how an error was
    delivered, not its cause (a timeout interrupts a node by raising a bare
    ``CancelledError`` in it, then reports ``TaskRunTimeoutError``): the chain
    stops above an inner exception that is not an ``Exception``."""
    seen = {id(exc)}
    while True:
        inner = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        if inner is None or id(inner) in seen:
            return exc
        if isinstance(exc, Exception) and not isinstance(inner, Exception):
            return exc
        seen.add(id(inner))
        exc = inner


def describe(exc: BaseException) -> str:
    """``Type: message`` of the root cause, on one line, bounded in length."""
    cause = root_cause(exc)
    text = " ".join(f"{type(cause).__name__}: {cause}".split())
    return text if len(text) <= MAX_CAUSE_CHARS else text[: MAX_CAUSE_CHARS - 1] + "…"


def root_cause_traceback(exc: BaseException) -> str:
    """The root cause's own traceback first (what to fix), then the whole chain as
    Python prints it (where Kedro and Prefect wrapped it). An exception that came
    from another process may have lost its frames: then its type and message."""
    cause = root_cause(exc)
    own = "".join(traceback.format_exception(cause, chain=False))
    if cause is exc:
        return own
    chain = "".join(traceback.format_exception(exc))
    return f"Root cause:\n{own}\nWhole chain:\n{chain}"


def failure_exception(state: Any) -> BaseException | None:
    """The exception a failed task run raised, when it can be read back."""
    try:
        result = state.result(raise_on_failure=False)
    except Exception:  # the result could not be read back
        return None
    return result if isinstance(result, BaseException) else None


def failure_reason(state: Any) -> str:
    """A failed task run's root cause, or its state message when the exception is
    not at hand (a crashed run, a sub-flow)."""
    error = failure_exception(state)
    if isinstance(error, GroupNodeFailed):
        return str(error)  # names the node and already holds its root cause
    if error is not None:
        return describe(error)
    return str(state.message or state.name)


class GroupNodeFailed(RuntimeError):
    """A node of a group failed, which fails its group's task (grouping.py); the
    message names the node and its root cause."""


class NodesFailed(RuntimeError):
    """Some nodes failed (after their retries); the message names each with its
    root cause first, then what did not run."""

    def __init__(self, failed: dict[str, str], not_run: list[str]) -> None:
        self.failed = failed
        self.not_run = not_run
        lines = [
            f"{name} failed {reason}" if name.startswith("group:")  # "at node 'x': ..."
            else f"node {name!r} failed: {reason}"
            for name, reason in failed.items()
        ]  # fmt: skip
        if not_run:
            lines.append(f"not run (upstream failed): {', '.join(not_run)}")
        super().__init__("; ".join(lines))
