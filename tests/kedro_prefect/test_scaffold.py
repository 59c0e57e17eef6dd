"""``kedro prefect init``: the files a project needs, valid as written."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from kedro.framework.project import pipelines
from kedro.framework.startup import bootstrap_project

from kedro_prefect.config import OrchestrationConfig
from tests.kedro_prefect.cli_support import kedro_prefect

TOY = Path(__file__).parent / "toy_project"


def test_init_writes_a_valid_commented_prefect_yml_and_ignores_the_state(tmp_path: Path) -> None:
    project = tmp_path / "toy"
    shutil.copytree(TOY, project)
    (project / "conf" / "base" / "prefect.yml").unlink()

    result = kedro_prefect(project, "init", "--deployments")
    assert result.exit_code == 0, result.output
    written = (project / "conf" / "base" / "prefect.yml").read_text()
    assert written.count("#") > 20  # every section explained where it is set
    config = OrchestrationConfig.from_mapping(yaml.safe_load(written))
    assert config.execution.mode == "local" and config.default.retries == 0
    assert ".kedro_prefect/" in (project / ".gitignore").read_text().splitlines()

    deployments = yaml.safe_load((project / "prefect.yaml").read_text())["deployments"]
    bootstrap_project(project)
    assert sorted(d["parameters"]["pipeline"] for d in deployments) == sorted(pipelines)
    assert {d["entrypoint"] for d in deployments} == {"kedro_prefect.flow:kedro_flow"}

    again = kedro_prefect(project, "init")
    assert again.exit_code == 0 and "kept" in again.output
    assert (project / ".gitignore").read_text().count(".kedro_prefect/") == 1


def test_init_keeps_an_existing_prefect_yml_unless_forced(tmp_path: Path) -> None:
    project = tmp_path / "toy"
    shutil.copytree(TOY, project)
    mine = (project / "conf" / "base" / "prefect.yml").read_text()
    assert kedro_prefect(project, "init").exit_code == 0
    assert (project / "conf" / "base" / "prefect.yml").read_text() == mine
    assert kedro_prefect(project, "init", "--force").exit_code == 0
    assert (project / "conf" / "base" / "prefect.yml").read_text() != mine
