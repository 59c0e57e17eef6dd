"""Resume stress: a failed flow run, retried from another process, must serve
every node its first attempt finished from cache — every time.

One iteration is the operator's story: a flow run of the toy project fails at
``clean``; the fault is fixed; the flow run is retried with
``prefect flow-run retry`` in a separate process with a Prefect home of its own
(as a worker or another shell would run it). A *miss* is an iteration whose
retry did not serve ``make_raw`` (finished in the first attempt) from cache.
Each iteration gets its own copy of the project and its own parameter value,
so no cache record of an earlier iteration (or of anything else on this
machine) can stand in for the one the first attempt wrote.

The loop runs quietly, then again while busy processes keep every core busy.
Ends with one JSON line: runs, misses (quiet and under load), seconds per run.

    python bench/resume_stress.py                       # 50 quiet + 20 under load
    python bench/resume_stress.py --runs 5 --load-runs 2 --execution ray
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TOY = REPO / "tests" / "kedro_prefect" / "toy_project"
FINISHED_FIRST = "make_raw"  # ran to completion in the failed attempt
# The toy pipeline each execution mode retries, and its last node. Ray needs one
# whose datasets are all persisted (an in-memory one cannot cross to a Ray worker).
PIPELINES = {"local": ("main", "report"), "ray": ("flaky", "flaky")}
EVENT_WAIT_S = 60  # task-run states reach the server's database through events


@dataclass(frozen=True)
class Attempt:
    """How one iteration ended: the retried flow run's state and each node's
    latest task-run state (what the UI shows)."""

    flow_state: str
    nodes: dict[str, str]
    seconds: float

    @property
    def resumed(self) -> bool:
        return self.flow_state == "COMPLETED" and self.nodes.get(FINISHED_FIRST) == "Cached"


def latest_task_states(api_url: str, flow_run_id: str) -> dict[str, tuple[str, int]]:
    """Each node's latest task run: (state name, how many task runs it had)."""
    from kedro_prefect.local_server import api

    runs = api(api_url, "task_runs/filter", {
        "flow_runs": {"id": {"any_": [flow_run_id]}}, "limit": 200,
    })  # fmt: skip
    latest: dict[str, tuple[str, int]] = {}
    for run in sorted(runs, key=lambda r: r["created"]):
        count = latest.get(run["name"], ("", 0))[1] + 1
        latest[run["name"]] = ((run["state"] or {}).get("name", ""), count)
    return latest


def retry_elsewhere(api_url: str, flow_run_id: str, home: Path) -> None:
    """``prefect flow-run retry`` in a new process whose Prefect home is not ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_API_URL": api_url, "PREFECT_HOME": str(home)}
    if "ray" in sys.modules and sys.modules["ray"].is_initialized():
        # The same Ray cluster, as a worker of a real deployment would use.
        env["RAY_ADDRESS"] = sys.modules["ray"].get_runtime_context().gcs_address
    result = subprocess.run(
        [sys.executable, "-m", "prefect", "flow-run", "retry", flow_run_id,
         "--entrypoint", "kedro_prefect.flow:kedro_flow"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    if result.returncode != 0:
        output = (result.stdout + result.stderr)[-3000:]
        raise RuntimeError(f"retry of {flow_run_id} exited {result.returncode}: {output}")


def resume_once(api_url: str, workdir: Path, n: int, execution: str | None = None) -> Attempt:
    """One failed run + retry from another process (see the module docstring)."""
    from kedro_prefect import kedro_flow
    from kedro_prefect.local_server import api

    pipeline, last_node = PIPELINES[execution or "local"]
    started = time.perf_counter()
    project = workdir / f"toy-{n}"
    shutil.copytree(TOY, project)
    switch = project / "FAIL_CLEAN"  # the toy's clean node fails while this file exists
    switch.touch()
    failed = kedro_flow(
        pipeline=pipeline, project_path=str(project), params={"n": n},
        execution=execution, return_state=True,
    )  # fmt: skip
    if not (failed.is_failed() and "'clean' failed" in str(failed.message)):
        raise RuntimeError(f"the first attempt should fail at clean: {failed.message}")
    switch.unlink()  # the fault is fixed
    flow_run_id = str(failed.state_details.flow_run_id)
    retry_elsewhere(api_url, flow_run_id, workdir / f"prefect-home-{n}")

    deadline = time.monotonic() + EVENT_WAIT_S
    while True:
        latest = latest_task_states(api_url, flow_run_id)
        retried = latest.get(FINISHED_FIRST, ("", 0))[1] >= 2
        last_done = latest.get(last_node, ("", 0))[0] == "Completed"
        if (retried and last_done) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    flow_state = api(api_url, f"flow_runs/{flow_run_id}")["state"]["type"]
    return Attempt(
        flow_state=flow_state,
        nodes={name: state for name, (state, _) in latest.items()},
        seconds=round(time.perf_counter() - started, 2),
    )


def _spin(stop_at: float) -> None:
    while time.monotonic() < stop_at:
        pass


@contextmanager
def busy_cores(max_seconds: float) -> Iterator[int]:
    """Keep every core busy (bounded in time, stopped on exit); yields how many."""
    cores = os.cpu_count() or 2
    stop_at = time.monotonic() + max_seconds
    spinners = [multiprocessing.Process(target=_spin, args=(stop_at,), daemon=True)
                for _ in range(cores)]  # fmt: skip
    for spinner in spinners:
        spinner.start()
    try:
        yield cores
    finally:
        for spinner in spinners:
            spinner.terminate()
            spinner.join()


def loop(api_url: str, workdir: Path, runs: int, first_n: int, execution: str | None) -> dict:
    misses: list[dict[str, Any]] = []
    seconds = []
    for i in range(runs):
        attempt = resume_once(api_url, workdir, first_n + i, execution)
        seconds.append(attempt.seconds)
        mark = "ok  " if attempt.resumed else "MISS"
        print(f"  {mark} run {i + 1}/{runs}: {attempt.flow_state} {attempt.nodes} "
              f"({attempt.seconds} s)", flush=True)  # fmt: skip
        if not attempt.resumed:
            misses.append({"n": first_n + i, **attempt.nodes})
    return {"runs": runs, "misses": len(misses), "median_s": _median(seconds), "missed": misses}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="quiet iterations")
    parser.add_argument("--load-runs", type=int, default=20, help="iterations under load")
    parser.add_argument("--execution", choices=["local", "ray"], default="local")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_HOME,
        PREFECT_LOCAL_STORAGE_PATH,
        temporary_settings,
    )

    from kedro_prefect.local_server import prefect_server

    workdir = Path(tempfile.mkdtemp(prefix="resume_stress_"))
    try:
        home = workdir / "prefect-home"
        with prefect_server(home) as api_url:
            settings = {PREFECT_API_URL: api_url, PREFECT_HOME: str(home),
                        PREFECT_LOCAL_STORAGE_PATH: str(home / "storage")}  # fmt: skip
            with temporary_settings(updates=settings), _ray(args.execution):
                execution = None if args.execution == "local" else args.execution
                print(f"quiet: {args.runs} run(s)", flush=True)
                quiet = loop(api_url, workdir, args.runs, 1000, execution)
                load: dict[str, Any] = {"runs": 0, "misses": 0, "median_s": 0.0, "missed": []}
                if args.load_runs:
                    with busy_cores(max_seconds=60 * 60) as cores:
                        print(f"under load ({cores} busy cores): {args.load_runs} run(s)",
                              flush=True)  # fmt: skip
                        load = loop(api_url, workdir, args.load_runs, 5000, execution)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    figures = {
        "execution": args.execution,
        "quiet_runs": quiet["runs"], "quiet_misses": quiet["misses"],
        "load_runs": load["runs"], "load_misses": load["misses"],
        "quiet_median_s": quiet["median_s"], "load_median_s": load["median_s"],
    }  # fmt: skip
    print(json.dumps(figures))
    return 0 if quiet["misses"] == load["misses"] == 0 else 1


@contextmanager
def _ray(execution: str) -> Iterator[None]:
    """A local Ray for ``--execution ray`` (the flow run connects to it)."""
    if execution != "ray":
        yield
        return
    import ray

    ray.init(num_cpus=2, num_gpus=1, object_store_memory=100 * 2**20,
             include_dashboard=False, log_to_driver=False)  # fmt: skip
    try:
        yield
    finally:
        ray.shutdown()


if __name__ == "__main__":
    sys.exit(main())
