"""The Prefect UI in a real browser (Debian's headless Chromium): the finished
full-pipeline flow run shows every Kedro node as a task run, and neither the
page nor the server it talks to reaches beyond 127.0.0.1. (A retried run's page:
test_crash_resume.py.)"""

from __future__ import annotations

from forecast_keiba.pipeline_registry import register_pipelines
from tests.deployments.browser import task_runs_tab
from tests.deployments.e2e_support import Stack, task_runs


def test_flow_run_page_lists_the_kedro_nodes(stack: Stack, full_pipeline_run: str) -> None:
    nodes = [node.name for node in register_pipelines()["__default__"].nodes]
    task_runs(stack, full_pipeline_run, expected=len(nodes))  # on the server before we look
    page = task_runs_tab(stack.api_url, full_pipeline_run, nodes, "flow_run_task_runs")
    assert "Completed" in page.text
    assert all(node in page.text for node in nodes)
    assert page.requested and not page.off_machine(), page.off_machine()
    assert page.screenshot.stat().st_size > 10_000
