"""The toy project (tests/kedro_prefect/toy_project), copied per test, its hooks
writing their events to ``events.log`` beside it (``TOY_EVENTS``). Modules that
need another set-up define their own ``toy``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

TOY = Path(__file__).parent / "toy_project"


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = tmp_path / "toy"
    shutil.copytree(TOY, project)
    monkeypatch.setenv("TOY_EVENTS", str(tmp_path / "events.log"))
    return project
