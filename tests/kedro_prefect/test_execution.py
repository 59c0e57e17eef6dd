"""Execution modes in the plan: where each node runs, with what, and what fails early.

The toy's "infra" pipeline: make_raw (no class) → prepare (cpu) → fit_a, fit_b
(tag model_fit: class gpu, num_gpus 1) → score (cpu). This machine has no GPU.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kedro_prefect import plan_pipeline
from kedro_prefect.config import OrchestrationConfig
from kedro_prefect.execution import ExecutionTarget, infra_limit_name, limit_slots, place
from kedro_prefect.plan import PlanError
from kedro_prefect.resources import Capacity, shortfall
from kedro_prefect.work_pools import delegated_groups
from tests.kedro_prefect.cli_support import kedro_prefect

TOY = Path(__file__).parent / "toy_project"
POOLS = (
    "execution:\n  mode: work_pools\n"
    "infra:\n  cpu:\n    work_pool: cpu\n  gpu:\n    work_pool: gpu\n"
)


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    project = tmp_path / "toy"
    shutil.copytree(TOY, project)
    return project


def local_conf(toy: Path, text: str) -> None:
    (toy / "conf" / "local" / "prefect.yml").write_text(text)


def test_local_mode_gives_each_class_a_machine_scoped_limit(prefect_api: str, toy: Path) -> None:
    plan = plan_pipeline("infra", project_path=str(toy))
    assert plan.mode == "local"
    gpu, cpu = infra_limit_name("gpu"), infra_limit_name("cpu")
    assert plan["fit_a"].placement.where == "local"
    assert plan["fit_a"].placement.limits == (gpu,)
    assert plan["prepare"].placement.limits == (cpu,)
    assert plan["make_raw"].placement.limits == ()  # no class, no limit
    # No GPU here: the GPU class still runs (on the CPU), one node at a time, and says so.
    assert plan.limits[gpu] == 1
    assert "no GPU on this machine" in plan["fit_a"].placement.note
    assert "→ local (num_cpus=1, num_gpus=1)" in plan.to_text()


def test_slots_follow_the_machine_and_the_request() -> None:
    from kedro_prefect.config import InfraClass

    four_gpus = Capacity(cpus=16, gpus=4, memory=None, where="a box")
    assert limit_slots(InfraClass(num_gpus=1), four_gpus) == 4
    assert limit_slots(InfraClass(num_gpus=2), four_gpus) == 2
    assert limit_slots(InfraClass(num_gpus=0.5), four_gpus) == 8
    assert limit_slots(InfraClass(num_cpus=4), four_gpus) == 4
    assert limit_slots(InfraClass(num_gpus=1, slots=3), four_gpus) == 3
    assert limit_slots(InfraClass(num_gpus=1), Capacity(2, 0, None, "laptop")) == 1


def test_ray_mode_without_gpus_fails_at_plan_time_naming_node_and_class(
    prefect_api: str, toy: Path
) -> None:
    local_conf(toy, "execution:\n  ray:\n    init:\n      num_cpus: 2\n      num_gpus: 0\n")
    with pytest.raises(PlanError, match=r"node 'fit_a' \(infra class 'gpu'\).*num_gpus=1"):
        plan_pipeline("infra", project_path=str(toy), execution="ray")


def test_ray_mode_places_every_node_with_its_class_resources(
    prefect_api: str, toy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local_conf(toy, "execution:\n  ray:\n    init:\n      num_cpus: 2\n      num_gpus: 1\n")
    plan = plan_pipeline("infra", project_path=str(toy), execution="ray")
    assert {p.placement.where for p in plan.nodes} == {"ray"}
    assert plan["fit_b"].placement.resources == {"num_cpus": 1, "num_gpus": 1}
    assert plan["prepare"].placement.resources == {"num_cpus": 1}
    assert plan.limits == {}  # Ray does the resource accounting
    result = kedro_prefect(toy, "plan", "-p", "infra", "--execution", "ray")
    assert result.exit_code == 0, result.output
    assert "- fit_a  [cache: miss] retries=0 infra=gpu → ray (num_cpus=1, num_gpus=1)" in (
        result.output
    )


def test_ray_mode_refuses_in_memory_datasets_between_tasks(prefect_api: str, toy: Path) -> None:
    local_conf(toy, "execution:\n  ray:\n    init:\n      num_gpus: 1\n")
    with pytest.raises(PlanError, match=r"dataset 'feat\.doubled' is not declared.*a Ray task"):
        plan_pipeline("main", project_path=str(toy), execution="ray")


def test_cpu_request_bigger_than_any_ray_node_fails(prefect_api: str, toy: Path) -> None:
    local_conf(
        toy,
        "execution:\n  ray:\n    init:\n      num_cpus: 2\n      num_gpus: 1\n"
        "infra:\n  cpu:\n    num_cpus: 8\n",
    )
    with pytest.raises(PlanError, match=r"node 'prepare' \(infra class 'cpu'\).*num_cpus=8"):
        plan_pipeline("infra", project_path=str(toy), execution="ray")


def test_work_pools_mode_groups_consecutive_nodes_per_pool(prefect_api: str, toy: Path) -> None:
    local_conf(toy, POOLS)
    plan = plan_pipeline("infra", project_path=str(toy))
    assert plan["make_raw"].placement.where == "local"
    assert plan["fit_a"].placement.where == "pool:gpu"
    assert plan["score"].placement.where == "pool:cpu"
    config = OrchestrationConfig.from_mapping(
        {"infra": {"cpu": {"work_pool": "cpu"}, "gpu": {"work_pool": "gpu"}}}
    )
    groups = [(g.deployment, g.nodes, g.upstream) for g in delegated_groups(plan, config)]
    # prepare and score share a pool but not a group: score waits for the gpu group,
    # which waits for prepare; one sub-flow for both would wait for itself.
    assert groups == [
        ("kedro/cpu", ["prepare"], {"make_raw"}),
        ("kedro/gpu", ["fit_a", "fit_b"], {"prepare"}),
        ("kedro/cpu", ["score"], {"fit_a", "fit_b"}),
    ]


def test_a_flow_run_on_a_pool_runs_that_pools_nodes_itself() -> None:
    config = OrchestrationConfig.from_mapping(
        {"infra": {"gpu": {"work_pool": "gpu", "num_gpus": 1}}}
    )
    settings = config.for_node("fit", None, []).model_copy(update={"infra": "gpu"})
    on_gpu_pool = place(settings, config, ExecutionTarget("work_pools", own_pool="gpu"))
    elsewhere = place(settings, config, ExecutionTarget("work_pools", own_pool="cpu"))
    assert on_gpu_pool.where == "local" and infra_limit_name("gpu") in on_gpu_pool.limits
    assert elsewhere.where == "pool:gpu" and elsewhere.limits == ()
    # Outside work_pools mode the pool is not used: the node runs where the run is.
    assert place(settings, config, ExecutionTarget("local")).where == "local"


def test_shortfall_names_the_missing_resource() -> None:
    box = Capacity(cpus=2, gpus=0, memory=4 * 2**30, where="the box")
    assert shortfall({"num_gpus": 1}, box) == "num_gpus=1 but the box has at most 0 GPU(s)"
    assert "memory" in (shortfall({"memory": 8 * 2**30}, box) or "")
    assert shortfall({"num_cpus": 2, "memory": 2**30}, box) is None


def test_unknown_execution_mode_is_refused(prefect_api: str, toy: Path) -> None:
    local_conf(toy, "execution:\n  mode: kubernetes\n")
    with pytest.raises(ValueError, match=r"execution\.mode"):
        plan_pipeline("infra", project_path=str(toy))
