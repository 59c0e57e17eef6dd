"""``keiba demo``: from nothing to tomorrow's forecast on the offline replica.

Starts the replica on 127.0.0.1, runs the whole Kedro pipeline with a real
``kedro run`` pointed at it, and prints the forecast report. The replica's
world and the pipeline's date range come from the same numbers here, so the
scraped calendar always matches the served one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import yaml

from forecast_keiba.replica.server import ReplicaServer
from forecast_keiba.replica.world import World, WorldConfig

KEDRO_PROJECT = Path(__file__).resolve().parents[2]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("demo", help="replica → kedro run → forecast (offline)")
    parser.add_argument("--port", type=int, default=0, help="replica port (0 = any free port)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--days", type=int, default=104, help="racing days in the world")
    parser.add_argument("--races-per-day", type=int, default=24)
    parser.add_argument("--env", default=None, help="Kedro environment (default: local)")
    parser.add_argument(
        "--conf-source",
        default=None,
        help="another conf folder (tests use one with a temp data_root)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    world = World(WorldConfig(seed=args.seed, n_days=args.days, races_per_day=args.races_per_day))
    days = world.racing_days()
    with ReplicaServer(world, port=args.port) as server:
        print(f"replica: {server.urls.db_base} ({len(days)} race days, {days[0]}..{days[-1]})")
        params = {
            "source.db_base_url": server.urls.db_base,
            "source.race_base_url": server.urls.race_base,
            "scraping.start_date": days[0].isoformat(),
            "scraping.end_date": days[-1].isoformat(),
        }
        code = kedro_run(params, env=args.env, conf_source=args.conf_source)
    if code != 0:
        print(f"kedro run failed with exit code {code}", file=sys.stderr)
        return code
    report = data_root(args.conf_source) / "08_reporting" / "forecast.txt"
    print(f"\nForecast for {world.upcoming_days()[0]} (from {report}):\n")
    print(report.read_text(encoding="utf-8"))
    return 0


def kedro_run(
    params: dict[str, str],
    env: str | None = None,
    pipeline: str | None = None,
    conf_source: str | None = None,
) -> int:
    """A real ``kedro run`` in the project directory, as a user would type it."""
    command = [sys.executable, "-m", "kedro", "run", "--params", format_params(params)]
    if env:
        command += ["--env", env]
    if pipeline:
        command += ["--pipeline", pipeline]
    if conf_source:
        command += ["--conf-source", str(Path(conf_source).resolve())]
    return subprocess.run(command, cwd=KEDRO_PROJECT, env=os.environ.copy(), check=False).returncode


def data_root(conf_source: str | None = None) -> Path:
    """Where the base environment keeps its data (``globals.yml: data_root``)."""
    conf = Path(conf_source) if conf_source else KEDRO_PROJECT / "conf"
    root = Path(yaml.safe_load((conf / "base" / "globals.yml").read_text())["data_root"])
    return root if root.is_absolute() else KEDRO_PROJECT / root


def format_params(params: dict[str, str | dt.date]) -> str:
    return ",".join(f"{key}={value}" for key, value in params.items())
