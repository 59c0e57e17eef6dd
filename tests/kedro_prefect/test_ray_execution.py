"""``ray`` execution on a local Ray with one logical GPU (this machine has none).

One Ray for the module (its start-up is slow): 2 CPUs, 1 GPU, a small object
store. The flow run connects to it (RayTaskRunner reuses a connected Ray);
every node is a Ray task in a worker process that re-opens the Kedro session.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from kedro_prefect import kedro_flow
from tests.kedro_prefect.timeline import overlapping, read_timeline

ray = pytest.importorskip("ray", reason="the 'ray' extra is not installed")

TOY = Path(__file__).parent / "toy_project"
CPU_NODES = ("prepare", "score")


@pytest.fixture(scope="module")
def local_ray(prefect_api: str):
    ray.init(
        num_cpus=2,
        num_gpus=1,
        object_store_memory=100 * 2**20,
        include_dashboard=False,
        log_to_driver=False,
        namespace="kedro-tests",
    )
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    project = tmp_path / "toy"
    shutil.copytree(TOY, project)
    return project


def test_gpu_tasks_get_the_gpu_one_at_a_time_and_cpu_tasks_never(
    local_ray, prefect_api: str, toy: Path
) -> None:
    timeline = toy.parent / "timeline.jsonl"
    state = kedro_flow(
        pipeline="infra",
        project_path=str(toy),
        params={"timeline": str(timeline), "fit_seconds": 1.5},
        execution="ray",
        return_state=True,
    )
    assert state.is_completed(), state.message
    records = read_timeline(timeline)
    assert set(records) == {"prepare", "fit_a", "fit_b", "score"}
    for name in ("fit_a", "fit_b"):
        assert records[name]["gpu_ids"] == ["0"], records[name]
        assert records[name]["cuda_visible_devices"] == "0", records[name]
    for name in CPU_NODES:
        assert records[name]["gpu_ids"] == [], records[name]
        assert not records[name]["cuda_visible_devices"], records[name]
    # One logical GPU: Ray never runs the two trainings at once.
    assert overlapping([records["fit_a"], records["fit_b"]]) == []
    import os

    assert all(r["pid"] != os.getpid() for r in records.values())  # Ray workers, not here
    assert (toy / "data" / "scores.json").exists()


def test_a_rerun_on_ray_is_served_from_cache(local_ray, prefect_api: str, toy: Path) -> None:
    timeline = toy.parent / "timeline.jsonl"
    params = {"timeline": str(timeline), "fit_seconds": 0.1}
    first = kedro_flow(pipeline="infra", project_path=str(toy), params=params,
                       execution="ray", return_state=True)  # fmt: skip
    assert first.is_completed(), first.message
    ran = len(timeline.read_text().splitlines())
    second = kedro_flow(pipeline="infra", project_path=str(toy), params=params,
                        execution="ray", return_state=True)  # fmt: skip
    assert second.is_completed(), second.message
    assert len(timeline.read_text().splitlines()) == ran  # no node executed again


def test_a_gpu_request_the_cluster_cannot_meet_fails_before_running(
    local_ray, prefect_api: str, toy: Path
) -> None:
    (toy / "conf" / "local" / "prefect.yml").write_text("infra:\n  gpu:\n    num_gpus: 2\n")
    state = kedro_flow(pipeline="infra", project_path=str(toy), execution="ray",
                       return_state=True)  # fmt: skip
    assert state.is_failed()
    # The state's message, not state.result(): whether Prefect hands back the
    # exception itself or a FailedRun carrying its text depends on its result
    # settings, which earlier tests in the session may have touched.
    assert re.match(r"PlanError: node 'fit_a' \(infra class 'gpu'\).*num_gpus=2", state.message)
    assert not (toy / "data" / "raw.parquet").exists()  # nothing ran


def test_a_failed_ray_run_retried_from_another_process_resumes(
    local_ray, prefect_api: str, tmp_path: Path
) -> None:
    """The retry connects to the same Ray from a process with its own Prefect home:
    make_raw, finished in the failed attempt, is served from cache."""
    from tests.bench.loader import load_bench

    attempt = load_bench("resume_stress").resume_once(prefect_api, tmp_path, 77, "ray")
    assert attempt.resumed, (attempt.flow_state, attempt.nodes)
    assert attempt.nodes["flaky"] == "Completed"
