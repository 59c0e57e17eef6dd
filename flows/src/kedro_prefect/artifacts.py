"""What a flow run leaves in the Prefect UI besides its logs: the plan it
followed and a summary of what each node did (state, duration, cache, rows)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from prefect.artifacts import create_markdown_artifact
from prefect.context import FlowRunContext
from prefect.states import State

from kedro_prefect.plan import Plan


def artifact_key(*parts: str) -> str:
    """Prefect artifact keys allow lowercase letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")


def publish_plan(plan: Plan) -> None:
    if FlowRunContext.get() is None:
        return  # planning outside a flow run (CLI dry run): nothing to attach to
    create_markdown_artifact(
        key=artifact_key("kedro-plan", plan.pipeline_name),
        markdown=plan.to_markdown(),
        description=f"Kedro plan: {plan.summary()}",
    )


def run_summary_markdown(
    plan: Plan,
    states: Mapping[str, State],
    results: Mapping[str, Mapping[str, Any]],
    rows: Mapping[str, int],
) -> str:
    lines = [
        f"# Kedro run: `{plan.pipeline_name}`",
        "",
        "| node | state | duration (s) | cache | datasets written (rows) |",
        "|---|---|---|---|---|",
    ]
    cached = 0
    for planned in plan.nodes:
        state = states.get(planned.name)
        state_name = state.name if state else "not submitted"
        cached += state_name == "Cached"
        result = results.get(planned.name) or {}
        written = ", ".join(
            f"`{name}` ({rows[name]:,})" if name in rows else f"`{name}`"
            for name in sorted(planned.node.outputs)
        )
        duration = result.get("duration_s")
        lines.append(
            f"| `{planned.name}` | {state_name} | "
            f"{'-' if state_name == 'Cached' or duration is None else f'{duration:.2f}'} | "
            f"{planned.prediction} | {written or '-'} |"
        )
    lines += ["", f"{len(plan.nodes)} node(s), {cached} served from cache."]
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
        description=f"Kedro run summary: {plan.pipeline_name}",
    )
