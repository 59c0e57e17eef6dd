"""The project's conf/logging.yml applies to a flow run started from another folder."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from kedro.framework.project import LOGGING

from kedro_prefect.project import apply_project_logging

PROJECT_LOGGING = """\
version: 1
disable_existing_loggers: false
handlers:
  probe_file:
    class: logging.FileHandler
    filename: probe.log
loggers:
  probe_project:
    level: INFO
    handlers: [probe_file]
"""


@pytest.fixture
def restore_logging():
    previous = dict(LOGGING.data)
    yield
    LOGGING.configure(previous)


def test_logging_yml_of_the_project_applies_from_another_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_logging: None
) -> None:
    project = tmp_path / "project"
    (project / "conf").mkdir(parents=True)
    (project / "conf" / "logging.yml").write_text(PROJECT_LOGGING)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("KEDRO_LOGGING_CONFIG", raising=False)

    apply_project_logging(project)
    logging.getLogger("probe_project").info("from the project's own handler")
    for handler in logging.getLogger("probe_project").handlers:
        handler.flush()

    assert "from the project's own handler" in (project / "probe.log").read_text()
    assert not (elsewhere / "probe.log").exists()  # relative paths are the project's


def test_kedro_logging_config_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_logging: None
) -> None:
    project = tmp_path / "project"
    (project / "conf").mkdir(parents=True)
    (project / "conf" / "logging.yml").write_text(PROJECT_LOGGING)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KEDRO_LOGGING_CONFIG", str(tmp_path / "other.yml"))
    apply_project_logging(project)
    assert not (project / "probe.log").exists()
