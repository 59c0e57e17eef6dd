"""The resume stress loop, bounded: every retry from another process resumes
at the failed node, with the upstream node served from cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.loader import load_bench

RUNS = 3  # bench/resume_stress.py runs 50 quiet + 20 under load


@pytest.mark.slow
def test_every_retry_from_another_process_resumes(prefect_api: str, tmp_path: Path) -> None:
    stress = load_bench("resume_stress")
    attempts = [stress.resume_once(prefect_api, tmp_path, 300 + i) for i in range(RUNS)]
    assert all(a.resumed for a in attempts), [(a.flow_state, a.nodes) for a in attempts]
    for attempt in attempts:  # the rest of the pipeline ran in the retry
        assert attempt.nodes["clean"] == attempt.nodes["report"] == "Completed"


def test_busy_cores_stop_when_the_block_ends() -> None:
    stress = load_bench("resume_stress")
    with stress.busy_cores(max_seconds=30) as cores:
        assert cores >= 1
    # the spinners are gone: nothing is left running
    import multiprocessing

    assert not [p for p in multiprocessing.active_children() if p.is_alive()]
