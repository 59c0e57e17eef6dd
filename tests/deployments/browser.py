"""The Prefect UI in a real browser (Debian's headless Chromium, `make browser`):
a flow run's Task Runs tab as a person sees it, kept as a screenshot under
tests/_out/deployments/, with every request the page made."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import REPO

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
OUT = REPO / "tests" / "_out" / "deployments"
LOCAL = ("http://127.0.0.1", "blob:http://127.0.0.1", "data:")


@dataclass
class Page:
    text: str  # the page's visible text
    requested: list[str]  # every URL it asked for
    screenshot: Path

    def off_machine(self) -> list[str]:
        return [url for url in self.requested if not url.startswith(LOCAL)]


def task_runs_tab(api_url: str, flow_run_id: str, nodes: Iterable[str], name: str) -> Page:
    """The flow run's page on its Task Runs tab once every node's name shows."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    ui = api_url.removesuffix("/api")
    OUT.mkdir(parents=True, exist_ok=True)
    screenshot = OUT / f"{name}.png"
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            page.on("request", lambda request: requested.append(request.url))
            page.goto(f"{ui}/runs/flow-run/{flow_run_id}")
            page.get_by_text("Task Runs", exact=True).first.click()
            for node in nodes:
                page.get_by_text(node, exact=True).first.wait_for(timeout=60_000)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(screenshot), full_page=True)
            text = page.inner_text("body")
        finally:
            browser.close()
    return Page(text, requested, screenshot)
