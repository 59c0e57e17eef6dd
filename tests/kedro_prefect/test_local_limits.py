"""``local`` execution: infra classes as Prefect global concurrency limits, on a real server.

fit_a and fit_b (class gpu) are independent, so the threads task runner would
run them together; the gpu class's limit (one slot: this machine has no GPU)
must keep them apart, while a two-slot class lets them overlap.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kedro_prefect import kedro_flow
from kedro_prefect.execution import infra_limit_name
from kedro_prefect.local_server import api
from tests.kedro_prefect.timeline import overlapping, read_timeline

TOY = Path(__file__).parent / "toy_project"


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    project = tmp_path / "toy"
    shutil.copytree(TOY, project)
    return project


def run_infra(toy: Path, timeline: Path):
    return kedro_flow(
        pipeline="infra",
        project_path=str(toy),
        params={"timeline": str(timeline), "fit_seconds": 1.5},
        task_runner="threads",
        return_state=True,
    )


def test_gpu_nodes_never_overlap_under_their_class_limit(prefect_api: str, toy: Path) -> None:
    timeline = toy.parent / "timeline.jsonl"
    state = run_infra(toy, timeline)
    assert state.is_completed(), state.message
    records = read_timeline(timeline)
    assert set(records) == {"prepare", "fit_a", "fit_b", "score"}
    assert overlapping([records["fit_a"], records["fit_b"]]) == []
    limit = api(prefect_api, f"v2/concurrency_limits/{infra_limit_name('gpu')}")
    assert limit["limit"] == 1 and limit["active_slots"] == 0  # created, taken, released
    cpu_limit = api(prefect_api, f"v2/concurrency_limits/{infra_limit_name('cpu')}")
    assert cpu_limit["limit"] >= 1
    assert (toy / "data" / "scores.json").exists()


def test_two_slots_let_the_same_nodes_overlap(prefect_api: str, toy: Path) -> None:
    (toy / "conf" / "local" / "prefect.yml").write_text("infra:\n  gpu:\n    slots: 2\n")
    timeline = toy.parent / "timeline.jsonl"
    state = run_infra(toy, timeline)
    assert state.is_completed(), state.message
    records = read_timeline(timeline)
    assert overlapping([records["fit_a"], records["fit_b"]]) == [("fit_a", "fit_b")]
    limit = api(prefect_api, f"v2/concurrency_limits/{infra_limit_name('gpu')}")
    assert limit["limit"] == 2
