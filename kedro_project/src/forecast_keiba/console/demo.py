"""``keiba demo``: from nothing to the next race day's forecast, offline.

Runs the whole pipeline on the embedded defaults: the offline replica (served
on 127.0.0.1 by the replica's Kedro hook, world from
``conf/base/parameters.yml``), by default as a Prefect flow (one task per Kedro
node) on a local Prefect server that keeps running afterwards so that the
printed flow-run URL opens in the UI; with ``--native`` as a plain ``kedro run``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import yaml

from forecast_keiba.console.ports import prefect_port

KEDRO_PROJECT = Path(__file__).resolve().parents[3]
REPO = KEDRO_PROJECT.parent
PREFECT_HOME = REPO / "var" / "prefect"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("demo", help="replica → pipeline → forecast (offline)")
    parser.add_argument("--env", default=None, help="Kedro environment (default: local)")
    parser.add_argument(
        "--native", action="store_true", help="plain `kedro run` instead of a Prefect flow"
    )
    parser.add_argument(
        "--prefect-port",
        type=int,
        default=prefect_port(),  # as `make up`'s server
        help="local Prefect server (default: $KEIBA_PREFECT_PORT, else the port of a "
        "loopback $PREFECT_API_URL, else 4200)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.native:
        code = kedro_run({}, env=args.env)
    else:
        code = prefect_run({}, env=args.env, port=args.prefect_port)
    if code != 0:
        print(f"the pipeline failed (exit code {code})", file=sys.stderr)
        return code
    report = data_root() / "08_reporting" / "forecast.txt"
    print(f"\nForecast ({report.relative_to(REPO)}):\n")
    print(report.read_text(encoding="utf-8"))
    return 0


def prefect_run(params: dict[str, str], env: str | None, port: int) -> int:
    """The default pipeline as a Prefect flow on the local server (started if needed)."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_LOCAL_STORAGE_PATH,
        temporary_settings,
    )
    from prefect.settings import (
        PREFECT_HOME as HOME_SETTING,
    )

    from kedro_prefect import kedro_flow, plan_pipeline
    from kedro_prefect.cli import flow_run_line, parse_params
    from kedro_prefect.local_server import ensure_server

    print(f"starting or reusing the local Prefect server on 127.0.0.1:{port} ...", flush=True)
    api_url = ensure_server(PREFECT_HOME, port)
    settings = {PREFECT_API_URL: api_url, HOME_SETTING: str(PREFECT_HOME),
                PREFECT_LOCAL_STORAGE_PATH: str(PREFECT_HOME / "storage")}  # fmt: skip
    nested = parse_params(format_params(params)) or None
    with temporary_settings(updates=settings):
        print(plan_pipeline(env=env, params=nested, project_path=str(KEDRO_PROJECT)).to_text())
        state = kedro_flow(
            env=env, params=nested, project_path=str(KEDRO_PROJECT), return_state=True
        )
        print(f"\nflow run {flow_run_line(state)}")
    print(f"Prefect UI: {api_url.removesuffix('/api')}  (stop the server: make down)")
    return 0 if state.is_completed() else 1


def kedro_run(
    params: dict[str, str],
    env: str | None = None,
    pipeline: str | None = None,
    conf_source: str | None = None,
) -> int:
    """A real ``kedro run`` in the project directory, as a user would type it."""
    command = [sys.executable, "-m", "kedro", "run"]
    if params:
        command += ["--params", format_params(params)]
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


def format_params(params: dict[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in params.items())
