"""What a flow run leaves in the Prefect UI besides its logs: the plan it
followed, a summary of what each node did (state, duration, cache, rows) and
the traceback of each failed node's root cause.

A retried flow run holds the artifacts of every attempt; each names its attempt
(``attempt 2``) in its description and heading, so that they are told apart by
more than their time. Keys stay the same across attempts and runs: a key's
history in the UI is the pipeline's history.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from prefect.artifacts import create_markdown_artifact
from prefect.context import FlowRunContext
from prefect.states import State

from kedro_prefect.failures import root_cause_traceback
from kedro_prefect.plan import Plan


def artifact_key(*parts: str) -> str:
    """Prefect artifact keys allow lowercase letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")


def attempt() -> int:
    """The flow run's attempt (1, then 2 after a retry, ...); 1 outside a flow run."""
    from prefect.runtime import flow_run

    return int(flow_run.run_count or 1)


def attempt_label() -> str:
    """``attempt 2`` (the words every artifact of an attempt carries)."""
    return f"attempt {attempt()}"


def publish_plan(plan: Plan) -> None:
    if FlowRunContext.get() is None:
        return  # planning outside a flow run (CLI dry run): nothing to attach to
    label = attempt_label()
    create_markdown_artifact(
        key=artifact_key("kedro-plan", plan.pipeline_name),
        markdown=plan.to_markdown().replace("\n", f" ({label})\n", 1),
        description=f"Kedro plan, {label}: {plan.summary()}",
    )


def cache_outcome(planned_prediction: str, state: State | None) -> str:
    """The cache column of the summary, from what happened (not what was planned):
    ``hit`` when served from cache, ``miss`` when it ran (or failed) with a cache
    policy, ``excluded`` when it has none, ``-`` when it did not run."""
    if state is None or not (state.is_completed() or state.is_failed() or state.is_crashed()):
        return "-"
    if state.name == "Cached":
        return "hit"
    if planned_prediction == "excluded":
        return "excluded"
    return "miss"


def state_counts(states: Mapping[str, State]) -> dict[str, int]:
    """How many nodes ended in each state name (what the UI counts, by name)."""
    return dict(sorted(Counter(state.name for state in states.values()).items()))


def run_summary_markdown(
    plan: Plan,
    states: Mapping[str, State],
    results: Mapping[str, Mapping[str, Any]],
    rows: Mapping[str, int],
) -> str:
    lines = [
        f"# Kedro run: `{plan.pipeline_name}` ({attempt_label()})",
        "",
        "| node | state | duration (s) | cache | datasets written (rows) |",
        "|---|---|---|---|---|",
    ]
    cached = 0
    for planned in plan.nodes:
        state = states.get(planned.name)
        state_name = state.name if state else "not submitted"
        cached += state_name == "Cached"
        outcome = cache_outcome(planned.prediction, state)
        if outcome != planned.prediction and outcome != "-":
            outcome += f" (planned: {planned.prediction})"
        result = results.get(planned.name) or {}
        written = ", ".join(
            f"`{name}` ({rows[name]:,})" if name in rows else f"`{name}`"
            for name in sorted(planned.node.outputs)
        )
        duration = result.get("duration_s")
        lines.append(
            f"| `{planned.name}` | {state_name} | "
            f"{'-' if state_name == 'Cached' or duration is None else f'{duration:.2f}'} | "
            f"{outcome} | {written or '-'} |"
        )
    counts = ", ".join(f"{n} {name}" for name, n in state_counts(states).items())
    lines += ["", f"{len(plan.nodes)} node(s), {cached} served from cache.",
              "", f"States: {counts or 'none'}."]  # fmt: skip
    return "\n".join(lines)


def publish_run_summary(
    plan: Plan,
    states: Mapping[str, State],
    results: Mapping[str, Mapping[str, Any]],
    rows: Mapping[str, int],
) -> None:
    if FlowRunContext.get() is None:
        return
    create_markdown_artifact(
        key=artifact_key("kedro-run", plan.pipeline_name),
        markdown=run_summary_markdown(plan, states, results, rows),
        description=f"Kedro run summary, {attempt_label()}: {plan.pipeline_name}",
    )


def failure_markdown(node: str, error: BaseException) -> str:
    """A failed node's root cause first, then its traceback (the whole chain)."""
    return "\n".join([
        f"# Node `{node}` failed ({attempt_label()})",
        "",
        "```text",
        root_cause_traceback(error).rstrip(),
        "```",
    ])  # fmt: skip


def publish_failures(errors: Mapping[str, BaseException], reasons: Mapping[str, str]) -> None:
    """One markdown artifact per failed node (key ``kedro-failure-<node>``): the
    traceback the state message cannot hold. Nodes whose exception is not at hand
    (a crashed run, a sub-flow) get their reason and a pointer to the logs."""
    if FlowRunContext.get() is None:
        return
    for node, reason in reasons.items():
        error = errors.get(node)
        markdown = (
            failure_markdown(node, error)
            if error is not None
            else f"# Node `{node}` failed ({attempt_label()})\n\n{reason}\n\n"
            "(no exception at hand: see the task run's logs)"
        )
        create_markdown_artifact(
            key=artifact_key("kedro-failure", node),
            markdown=markdown,
            description=f"{attempt_label()}: node {node!r} failed: {reason}",
        )
