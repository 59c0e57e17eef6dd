"""The dry-run plan on the toy project: waves, settings, filters, --env, errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from kedro.framework.project import pipelines
from kedro.framework.startup import bootstrap_project

from kedro_prefect import plan_pipeline
from kedro_prefect.config import OrchestrationConfigError
from kedro_prefect.plan import PlanError
from tests.kedro_prefect.cli_support import kedro_prefect

TOY = Path(__file__).parent / "toy_project"


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    project = tmp_path / "toy"
    shutil.copytree(TOY, project)
    return project


def names(plan) -> set[str]:
    return {p.name for p in plan.nodes}


def test_waves_follow_the_dataset_edges(prefect_api: str, toy: Path) -> None:
    plan = plan_pipeline("main", project_path=str(toy))
    waves = [[p.name for p in wave] for wave in plan.waves]
    assert waves == [["make_raw"], ["clean"], ["feat.double", "report"], ["feat.total"]]
    assert plan["report"].settings.infra == "small"
    assert plan["feat.double"].prediction == "excluded"
    assert "in-memory dataset(s) feat.doubled" in plan["feat.double"].note


@pytest.mark.parametrize(
    "filters",
    [
        {"tags": ["prep"]},
        {"node_names": ["report", "clean"]},
        {"from_nodes": ["clean"]},
        {"to_nodes": ["clean"]},
        {"namespaces": ["feat"]},
        {"from_nodes": ["clean"], "to_nodes": ["feat.total"]},
    ],
)
def test_filters_select_the_nodes_kedro_run_would(
    prefect_api: str, toy: Path, filters: dict
) -> None:
    plan = plan_pipeline("main", project_path=str(toy), **filters)
    bootstrap_project(toy)
    kedro_filters = {("node_namespaces" if k == "namespaces" else k): v for k, v in filters.items()}
    expected = {n.name for n in pipelines["main"].filter(**kedro_filters).nodes}
    assert names(plan) == expected and expected


def test_env_overrides_prefect_yml_and_parameters(prefect_api: str, toy: Path) -> None:
    env = toy / "conf" / "staging"
    env.mkdir()
    (env / "prefect.yml").write_text("nodes:\n  report:\n    retries: 7\n")
    base = plan_pipeline("main", project_path=str(toy))
    staged = plan_pipeline("main", project_path=str(toy), env="staging")
    assert base["report"].settings.retries == 0 and staged["report"].settings.retries == 7
    assert staged["report"].settings.infra == "small"  # the rest of base still applies


def test_invalid_prefect_yml_fails_before_anything_runs(prefect_api: str, toy: Path) -> None:
    (toy / "conf" / "local" / "prefect.yml").write_text("nodes:\n  report:\n    retires: 2\n")
    with pytest.raises(OrchestrationConfigError, match=r"nodes\.report\.retires"):
        plan_pipeline("main", project_path=str(toy))


def test_in_memory_dataset_across_work_pools_fails_naming_it(prefect_api: str, toy: Path) -> None:
    (toy / "conf" / "local" / "prefect.yml").write_text(
        "execution:\n  mode: work_pools\n"
        "nodes:\n  feat.total:\n    infra: remote\ninfra:\n  remote:\n    work_pool: gpu\n"
    )
    with pytest.raises(PlanError, match=r"dataset 'feat\.doubled' is not declared"):
        plan_pipeline("main", project_path=str(toy))


def test_refresh_of_an_unknown_node_is_an_error(prefect_api: str, toy: Path) -> None:
    with pytest.raises(PlanError, match="no node named nope"):
        plan_pipeline("main", project_path=str(toy), refresh=["nope"])


def test_plan_cli_prints_waves_and_predictions(prefect_api: str, toy: Path) -> None:
    result = kedro_prefect(toy, "plan", "--pipeline", "main")
    assert result.exit_code == 0, result.output
    assert "Plan for pipeline 'main': 5 node(s) in 4 wave(s)" in result.output
    assert "- feat.total  [cache: miss] retries=0" in result.output
    result = kedro_prefect(toy, "plan", "-p", "main", "--json")
    assert result.exit_code == 0 and '"node": "make_raw"' in result.output


def test_plan_cli_names_what_is_wrong_in_one_line(prefect_api: str, toy: Path) -> None:
    for command in ("plan", "run"):
        result = kedro_prefect(toy, command, "--pipeline", "nope")
        assert result.exit_code == 2, result.output
        line = result.output.strip()
        assert line.startswith("kedro prefect: error: no pipeline named 'nope'"), line
        assert "main" in line and "Traceback" not in line and "\n" not in line
    assert not (toy / "data").exists()  # nothing ran


def test_cli_params_reach_nodes_typed_as_kedro_run_types_them(prefect_api: str, toy: Path) -> None:
    """``--params "title=true"`` / ``title=null``: the node gets True / None, not strings."""
    import json

    for raw, expected in (("true", True), ("null", None), ("3", 3)):
        result = kedro_prefect(toy, "run", "-p", "main", "--params", f"title={raw}")
        assert result.exit_code == 0, result.output[-3000:]
        assert json.loads((toy / "data" / "report.json").read_text())["title"] == expected
