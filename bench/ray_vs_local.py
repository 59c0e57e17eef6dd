"""Wall time of the full pipeline on the replica: local execution vs Ray, side by side.

Informational: on one small machine Ray cannot be faster (the same cores, plus
a worker process per task that re-opens the Kedro session, plus Ray's own
start-up, reported separately); the figure says what Ray costs where it buys
nothing, i.e. the floor under what it must win back on a real cluster.

One throwaway Prefect server (SQLite, 127.0.0.1, its own PREFECT_HOME in a temp
dir). Two copies of ``kedro_project/`` (without data) in the temp dir, so each
run starts cold (empty HTTP page cache, no Prefect cache hits). The default
pipeline (scrape → preprocess → train → evaluate → forecast) runs on an
embedded replica world of ``--days`` race days (served by the replica's Kedro
hook, EmbeddedReplica, on a free loopback port) once with ``execution="local"``
and once with ``execution="ray"`` on a local Ray of this machine's CPUs and one
logical GPU (the project's ``gpu`` class asks for one; this machine has none).
Both runs must complete and write the same forecast, else the bench fails.

Run: ``uv run python bench/ray_vs_local.py [--days 12] [--races-per-day 12]``
(about 2-3 minutes on 2 cores). Ends with one JSON line::

    {"local_s": ..., "ray_s": ..., "ray_start_s": ..., "ray_over_local": ...}
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import no_telemetry  # noqa: F401  (nothing here may phone home)

# Ray workers use this interpreter and environment (see flows/__init__.py).
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")

from _support import copy_kedro_project

REPORT = Path("data") / "08_reporting" / "forecast.txt"


def replica_params(days: int, races_per_day: int) -> dict[str, Any]:
    """A smaller embedded world than the default, on a free port, scraped whole."""
    from kedro_prefect.local_server import free_port
    from netkeiba_replica.world import World, WorldConfig

    start = dt.date(2023, 1, 7)
    world = World(WorldConfig(seed=42, start_date=start, n_days=days,
                              races_per_day=races_per_day))  # fmt: skip
    port = free_port()
    return {
        "source": {
            "db_base_url": f"http://127.0.0.1:{port}/db",
            "race_base_url": f"http://127.0.0.1:{port}/race",
            "embedded_replica": {"seed": 42, "start_date": start.isoformat(), "n_days": days,
                                 "races_per_day": races_per_day},
        },
        "scraping": {"start_date": start.isoformat(),
                     "end_date": world.racing_days()[-1].isoformat()},
    }  # fmt: skip


def timed_run(project: Path, params: dict[str, Any], execution: str) -> float:
    from kedro_prefect import kedro_flow

    started = time.perf_counter()
    state = kedro_flow(project_path=str(project), params=params, execution=execution,
                       return_state=True)  # fmt: skip
    seconds = time.perf_counter() - started
    if not state.is_completed():
        sys.exit(f"{execution} run did not complete: {state.name}: {state.message}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=12, help="race days in the replica world")
    parser.add_argument("--races-per-day", type=int, default=12)
    args = parser.parse_args(argv)

    import ray
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_HOME,
        PREFECT_LOCAL_STORAGE_PATH,
        temporary_settings,
    )

    from kedro_prefect.local_server import prefect_server

    with tempfile.TemporaryDirectory(prefix="ray-vs-local-") as tmp:
        root = Path(tmp)
        home = root / "prefect"
        params = replica_params(args.days, args.races_per_day)
        projects = {mode: copy_kedro_project(root / mode) for mode in ("local", "ray")}
        with prefect_server(home) as api_url:
            settings = {PREFECT_API_URL: api_url, PREFECT_HOME: str(home),
                        PREFECT_LOCAL_STORAGE_PATH: str(home / "storage")}  # fmt: skip
            with temporary_settings(updates=settings):
                local_s = timed_run(projects["local"], params, "local")
                started = time.perf_counter()
                ray.init(num_cpus=os.cpu_count(), num_gpus=1, object_store_memory=100 * 2**20,
                         include_dashboard=False, log_to_driver=False)  # fmt: skip
                ray_start_s = time.perf_counter() - started
                try:
                    ray_s = timed_run(projects["ray"], params, "ray")
                finally:
                    ray.shutdown()
        forecasts = {mode: (p / REPORT).read_text() for mode, p in projects.items()}
        if forecasts["local"] != forecasts["ray"]:
            sys.exit("the local and the Ray run wrote different forecasts")

    print(f"full pipeline, replica world of {args.days} days x {args.races_per_day} races, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    print(f"  {'local (threads)':<28}{local_s:8.1f} s")
    print(f"  {'ray (tasks, local Ray)':<28}{ray_s:8.1f} s   x{ray_s / local_s:.2f}")
    print(f"  {'  + Ray start-up':<28}{ray_start_s:8.1f} s")
    print(json.dumps({
        "days": args.days, "races_per_day": args.races_per_day,
        "local_s": round(local_s, 2), "ray_s": round(ray_s, 2),
        "ray_start_s": round(ray_start_s, 2), "ray_over_local": round(ray_s / local_s, 3),
    }))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
