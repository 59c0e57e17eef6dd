"""The Prefect UI in a real browser (Debian's headless Chromium): the finished
full-pipeline flow run shows every Kedro node as a task run, and neither the
page nor the server it talks to reaches beyond 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from forecast_keiba.pipeline_registry import register_pipelines
from tests.deployments.e2e_support import Stack, task_runs
from tests.support import REPO

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
OUT = REPO / "tests" / "_out" / "deployments"
LOCAL = ("http://127.0.0.1", "blob:http://127.0.0.1", "data:")


def test_flow_run_page_lists_the_kedro_nodes(stack: Stack, full_pipeline_run: str) -> None:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    nodes = [node.name for node in register_pipelines()["__default__"].nodes]
    task_runs(stack, full_pipeline_run, expected=len(nodes))  # on the server before we look
    ui = stack.api_url.removesuffix("/api")
    OUT.mkdir(parents=True, exist_ok=True)
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            page.on("request", lambda request: requested.append(request.url))
            page.goto(f"{ui}/runs/flow-run/{full_pipeline_run}")
            page.get_by_text("Task Runs", exact=True).first.click()
            for node in nodes:
                page.get_by_text(node, exact=True).first.wait_for(timeout=60_000)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / "flow_run_task_runs.png"), full_page=True)
            body = page.inner_text("body")
        finally:
            browser.close()
    assert "Completed" in body
    assert all(node in body for node in nodes)
    assert requested and all(url.startswith(LOCAL) for url in requested), [
        url for url in requested if not url.startswith(LOCAL)
    ]
    assert (OUT / "flow_run_task_runs.png").stat().st_size > 10_000
