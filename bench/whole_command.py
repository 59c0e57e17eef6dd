"""The whole command as a user feels it: ``kedro prefect …`` against ``kedro …``.

``bench/bridge_overhead.py`` measures the bridge per node, in-process; this script
times whole processes, side by side in one run, against one throwaway Prefect
server (127.0.0.1, its own PREFECT_HOME; PostgreSQL when its server programs are
installed, else SQLite; everything in a temp dir removed at the end):

1. **Whole commands** (wall clock of the process, median of ``--repeats``,
   interleaved so drift hits every command alike):

   * Kedro's ``spaceflights-pandas`` starter (``../shared/kedro-starters``, copied)
     in a fresh venv holding Kedro, the starter's pipeline requirements and
     ``./flows`` (as a user outside this repo installs it): ``kedro run``;
     ``kedro prefect run`` cold (an empty state folder: every node runs) and fully
     cached (the same state folder again); ``kedro prefect plan``; ``kedro registry
     list`` (what listing the project costs Kedro itself);
   * the keiba ``training`` pipeline on the project's own replica world
     (scraped + preprocessed into a copy first, not timed): ``kedro prefect run
     --pipeline training`` cold (``--refresh``) and cached.

2. **Per-node overhead**: ``bridge_overhead.measure_overhead`` (a 100-node chain,
   in-process: the bridge against the same chain hand-written in Prefect).

3. **Growth with the number of nodes**: generated projects, cache off, a chain and
   a fan-out (one seed, N-1 readers of it) of each ``--sizes`` nodes, each run in
   its own process: ms/node of the flow call and the peak RSS of that process.

4. **Parallelism**: 8 independent branches of 2 I/O-bound nodes (each sleeps 1 s,
   JSON files between them, cache off): ``kedro run`` against ``kedro prefect run``
   with the default task runner and with ``--task-runner threads``.

It ends with one JSON line (ratios = bridge / reference)::

    {"spaceflights_cold_ratio", "spaceflights_cached_ratio", "plan_ratio",
     "overhead_ratio", "cached_rerun_ratio", "ms_per_node_1000_vs_100",
     "parallel_ratio", "parallel_ratio_threads", "rss_mb_1000", ...}

``ms_per_node_1000_vs_100`` is the worse of chain and fan-out. It divides the whole
call, fixed cost included, by the nodes; ``marginal_ms_per_node`` gives what each node
added between consecutive sizes costs, and ``marginal_growth`` the worse ratio of the
last two of those (1.0: every further node costs the same).

Run: ``uv run python bench/whole_command.py [--repeats 3] [--sizes 10,100,1000]
[--skip-spaceflights] [--skip-keiba] [--quick]``. About 25 minutes on 2 cores;
``--quick`` (1 repeat, sizes 10,100, the keiba world shrunk) about 8.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bridge_overhead
from _support import (
    STARTER,
    copy_kedro_project,
    starter_venv,
    write_generated_project,
)

import no_telemetry  # noqa: F401  (nothing here may phone home)

TARGETS = {
    "spaceflights_cold_ratio": 1.3,
    "spaceflights_cached_ratio": 0.8,
    "plan_ratio": 1.1,
    "cached_rerun_ratio": 0.05,
    "overhead_ratio": 1.10,
    "ms_per_node_1000_vs_100": 1.2,
    "parallel_ratio": 0.3,
}


class CommandFailed(RuntimeError):
    pass


@dataclass
class Commands:
    """Whole processes timed by label; each label's median is its figure."""

    env: dict[str, str]
    log: Path
    runs: dict[str, list[float]] = field(default_factory=dict)

    def time(self, label: str, argv: list[str], cwd: Path, **extra_env: str) -> float:
        started = time.perf_counter()
        with self.log.open("a") as log:
            log.write(f"\n$ ({label}) {' '.join(argv)}\n")
            log.flush()
            result = subprocess.run(
                argv, cwd=cwd, env={**self.env, **extra_env}, stdout=log,
                stderr=subprocess.STDOUT, check=False, timeout=1800,
            )  # fmt: skip
        wall = time.perf_counter() - started
        if result.returncode != 0:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise CommandFailed(f"{label}: {' '.join(argv)} exited {result.returncode}\n{tail}")
        self.runs.setdefault(label, []).append(wall)
        return wall

    def median(self, label: str) -> float:
        return statistics.median(self.runs[label])


def command_env(api_url: str, home: Path, path_prefix: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VIRTUAL_ENV"))}
    env |= {"PREFECT_API_URL": api_url, "PREFECT_HOME": str(home)}
    if path_prefix is not None:
        env["PATH"] = f"{path_prefix}:{env.get('PATH', '')}"
    return env


# ------------------------------------------------------------------ 1. whole commands


def measure_spaceflights(root: Path, api_url: str, home: Path, repeats: int) -> Commands:
    bin_dir = starter_venv(root / "starter-venv") / "bin"
    project = root / "spaceflights"
    shutil.copytree(STARTER, project)
    commands = Commands(command_env(api_url, home, bin_dir), root / "spaceflights.log")
    kedro = str(bin_dir / "kedro")
    for repeat in range(1, repeats + 1):
        state = str(root / f"spaceflights-state-{repeat}")  # empty: every node runs
        commands.time("kedro run", [kedro, "run"], project)
        commands.time("prefect run cold", [kedro, "prefect", "run"], project,
                      KEDRO_PREFECT_STATE_DIR=state)  # fmt: skip
        commands.time("prefect run cached", [kedro, "prefect", "run"], project,
                      KEDRO_PREFECT_STATE_DIR=state)  # fmt: skip
        commands.time("prefect plan", [kedro, "prefect", "plan"], project,
                      KEDRO_PREFECT_STATE_DIR=state)  # fmt: skip
        commands.time("registry list", [kedro, "registry", "list"], project)
        print(f"  spaceflights {repeat}/{repeats}: " + last_runs(commands), flush=True)
    return commands


def measure_keiba(root: Path, api_url: str, home: Path, repeats: int) -> Commands:
    project = copy_kedro_project(root / "kedro_project")
    inputs = bridge_overhead.TrainingInputs(project, root / "prep.log")
    inputs.run()  # in this thread: the server is already up
    if inputs.error:
        raise CommandFailed(f"preparing training inputs: {inputs.error}")
    print(f"  training inputs: {inputs.races} races in {inputs.seconds:.0f}s", flush=True)
    commands = Commands(command_env(api_url, home), root / "keiba.log")
    kedro = [sys.executable, "-m", "kedro"]
    for repeat in range(1, repeats + 1):
        cold = [] if repeat == 1 else ["--refresh"]
        commands.time("keiba cold", [*kedro, "prefect", "run", "-p", "training", *cold], project)
        commands.time("keiba cached", [*kedro, "prefect", "run", "-p", "training"], project)
        print(f"  keiba training {repeat}/{repeats}: " + last_runs(commands), flush=True)
    return commands


def last_runs(commands: Commands) -> str:
    return ", ".join(f"{label} {runs[-1]:.1f}s" for label, runs in commands.runs.items())


# ------------------------------------------------------------------ 3./4. generated projects


def shaped_project(root: Path, shape: str, nodes: int) -> Path:
    body = {
        "chain": "chain = [node(seed, 'params:start', 'd0', name='n0')]\n"
        "    chain += [node(step, f'd{i - 1}', f'd{i}', name=f'n{i}') for i in range(1, N)]",
        "fanout": "chain = [node(seed, 'params:start', 'd0', name='n0')]\n"
        "    chain += [node(step, 'd0', f'd{i}', name=f'n{i}') for i in range(1, N)]",
    }[shape]
    registry = f"""\
from kedro.pipeline import Pipeline, node

from {shape}_{nodes}.nodes import seed, step

N = {nodes}


def register_pipelines() -> dict[str, Pipeline]:
    {body}
    return {{"__default__": Pipeline(chain)}}
"""
    return write_generated_project(root, f"{shape}_{nodes}", registry, {})


CHILD = """
import json, resource, sys, time
from kedro_prefect import kedro_flow
import prefect.flow_engine  # what the flow call imports first, so the baseline holds it
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
baseline = peak()
started = time.perf_counter()
state = kedro_flow(project_path=sys.argv[1], return_state=True)
wall = time.perf_counter() - started
states = state.result() if state.is_completed() else {}
print("RESULT=" + json.dumps({"wall": wall, "state": state.name, "nodes": len(states),
      "rss_mb": peak(), "rss_added_mb": peak() - baseline}))
"""


def run_child(project: Path, env: dict[str, str], log: Path) -> dict[str, Any]:
    with log.open("a") as handle:
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(project)], env=env, capture_output=True,
            text=True, check=False, timeout=3600,
        )  # fmt: skip
        handle.write(result.stdout + result.stderr)
    found = [line for line in result.stdout.splitlines() if line.startswith("RESULT=")]
    if result.returncode != 0 or not found:
        raise CommandFailed(f"{project.name}: exited {result.returncode}\n{result.stderr[-3000:]}")
    return json.loads(found[-1].removeprefix("RESULT="))


def measure_growth(root: Path, env: dict[str, str], sizes: list[int]) -> dict[str, dict]:
    figures: dict[str, dict] = {}
    for shape in ("chain", "fanout"):
        for nodes in sizes:
            project = shaped_project(root, shape, nodes)
            child = run_child(project, env, root / "growth.log")
            if child["state"] != "Completed" or child["nodes"] != nodes:
                raise CommandFailed(f"{shape} {nodes}: {child}")
            child["ms_per_node"] = 1000 * child["wall"] / nodes
            figures[f"{shape}_{nodes}"] = child
            print(f"  {shape:6} {nodes:5} nodes: {child['ms_per_node']:6.1f} ms/node, "
                  f"peak RSS {child['rss_mb']:.0f} MB "
                  f"(+{child['rss_added_mb']:.1f} MB over the imports)", flush=True)  # fmt: skip
    return figures


def parallel_project(root: Path) -> Path:
    registry = """\
from kedro.pipeline import Pipeline, node

from parallel_io.nodes import wait


def register_pipelines() -> dict[str, Pipeline]:
    nodes = []
    for b in range(8):
        nodes.append(node(wait, "params:start", f"b{b}_first", name=f"b{b}_first"))
        nodes.append(node(wait, f"b{b}_first", f"b{b}_second", name=f"b{b}_second"))
    return {"__default__": Pipeline(nodes)}
"""
    catalog = {
        f"b{b}_{which}": {"type": "json.JSONDataset", "filepath": f"data/b{b}_{which}.json"}
        for b in range(8)
        for which in ("first", "second")
    }
    return write_generated_project(root, "parallel_io", registry, catalog)


def measure_parallel(root: Path, env: dict[str, str], repeats: int) -> Commands:
    project = parallel_project(root)
    commands = Commands(env, root / "parallel.log")
    kedro = [sys.executable, "-m", "kedro"]
    for _ in range(repeats):
        commands.time("kedro run (8x2 sleeps)", [*kedro, "run"], project)
        commands.time("prefect run, default", [*kedro, "prefect", "run"], project)
        commands.time("prefect run, threads",
                      [*kedro, "prefect", "run", "--task-runner", "threads"], project)  # fmt: skip
    print("  parallel: " + last_runs(commands), flush=True)
    return commands


# ------------------------------------------------------------------ report


def ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 3)


def report(figures: dict[str, Any], tables: list[tuple[str, Commands]]) -> None:
    print("\nwhole commands (median wall s of the process):")
    for title, commands in tables:
        for label, runs in commands.runs.items():
            spread = f"[{min(runs):.1f}-{max(runs):.1f}]" if len(runs) > 1 else ""
            print(f"  {title:12} {label:24} {statistics.median(runs):7.2f} {spread}")
    print("\nfigure                          value   target")
    for key, target in TARGETS.items():
        value = figures.get(key)
        verdict = "" if value is None else ("met" if value <= target else "MISSED")
        shown = "-" if value is None else f"{value:g}"
        print(f"  {key:28} {shown:>8}  <= {target:g} {verdict}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--skip-spaceflights", action="store_true")
    parser.add_argument("--skip-keiba", action="store_true")
    parser.add_argument("--quick", action="store_true", help="a smoke run, not figures")
    args = parser.parse_args(argv)
    args.sizes = [int(size) for size in args.sizes.split(",")]
    if args.quick:
        args.repeats, args.sizes = 1, [10, 100]
        bridge_overhead.TRAINING_WORLD.update(n_days=20, races_per_day=12)
    return args


def timed_section(title: str, work: Callable[[], Any]) -> Any:
    print(f"{title} ...", flush=True)
    started = time.perf_counter()
    value = work()
    print(f"  ({time.perf_counter() - started:.0f}s)", flush=True)
    return value


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from kedro_prefect.local_server import prefect_server

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="whole_command_") as tmp:
        root = Path(tmp)
        print(f"whole-command bench, {dt.datetime.now():%Y-%m-%d %H:%M}, in {root}", flush=True)
        home = root / "prefect_home"
        database = "postgresql" if bridge_overhead.postgres_available() else "sqlite"
        with (
            bridge_overhead.server_database(database) as database_url,
            prefect_server(home, database_url) as api_url,
        ):
            print(f"  Prefect server ({database}) at {api_url}", flush=True)
            figures, tables = measure_all(args, Bench(root, api_url, home))
        figures["database"] = database
        report(figures, tables)
        print(f"\nbench took {time.perf_counter() - started:.0f}s in all")
        print(json.dumps(figures))
    return 0


@dataclass(frozen=True)
class Bench:
    root: Path
    api_url: str
    home: Path


def measure_all(args: argparse.Namespace, bench: Bench) -> tuple[dict[str, Any], list]:
    root, api_url, home = bench.root, bench.api_url, bench.home
    figures: dict[str, Any] = {}
    tables: list[tuple[str, Commands]] = []
    if args.skip_spaceflights or not STARTER.is_dir():
        why = "--skip-spaceflights" if args.skip_spaceflights else f"{STARTER} is absent"
        print(f"spaceflights: skipped ({why})")
    else:
        sf = timed_section(
            "spaceflights starter, whole commands",
            lambda: measure_spaceflights(root, api_url, home, args.repeats),
        )
        tables.append(("spaceflights", sf))
        kedro_run = sf.median("kedro run")
        figures["spaceflights_cold_ratio"] = ratio(sf.median("prefect run cold"), kedro_run)
        figures["spaceflights_cached_ratio"] = ratio(sf.median("prefect run cached"), kedro_run)
        figures["plan_ratio"] = ratio(sf.median("prefect plan"), sf.median("registry list"))
    if not args.skip_keiba:
        keiba = timed_section(
            "keiba training, whole commands",
            lambda: measure_keiba(root, api_url, home, args.repeats),
        )
        tables.append(("keiba", keiba))
        figures["cached_rerun_ratio"] = ratio(
            keiba.median("keiba cached"), keiba.median("keiba cold")
        )
    figures |= timed_section(
        "per-node overhead (100-node chain, in-process)",
        lambda: overhead_figures(root, api_url, home, args.repeats),
    )
    env = command_env(api_url, home)
    growth = timed_section(
        "growth with the number of nodes", lambda: measure_growth(root, env, args.sizes)
    )
    big, small = max(args.sizes), (100 if 100 in args.sizes else min(args.sizes))
    shapes = ("chain", "fanout")
    if big != small:
        figures[f"ms_per_node_{big}_vs_{small}"] = max(
            ratio(growth[f"{s}_{big}"]["ms_per_node"], growth[f"{s}_{small}"]["ms_per_node"])
            for s in shapes
        )
    figures[f"rss_mb_{big}"] = round(max(growth[f"{s}_{big}"]["rss_mb"] for s in shapes))
    # The peak is mostly the imports; what the flow run itself added, by size:
    figures["rss_added_mb"] = {key: round(v["rss_added_mb"], 1) for key, v in growth.items()}
    figures["ms_per_node"] = {key: round(v["ms_per_node"], 1) for key, v in growth.items()}
    # ms/node of the whole call includes the flow run's fixed cost, which a bigger
    # pipeline spreads thinner; what each further node costs shows growth plainly.
    figures["marginal_ms_per_node"] = marginal = marginal_costs(growth, sorted(args.sizes))
    if len(args.sizes) >= 3:
        figures["marginal_growth"] = max(
            ratio(steps[-1], steps[-2]) for steps in marginal.values() if steps[-2] > 0
        )
    parallel = timed_section(
        "8 parallel I/O-bound branches", lambda: measure_parallel(root, env, args.repeats)
    )
    tables.append(("parallel", parallel))
    reference = parallel.median("kedro run (8x2 sleeps)")
    figures["parallel_ratio"] = ratio(parallel.median("prefect run, default"), reference)
    figures["parallel_ratio_threads"] = ratio(parallel.median("prefect run, threads"), reference)
    return figures, tables


def marginal_costs(growth: dict[str, dict], sizes: list[int]) -> dict[str, list[float]]:
    """Per shape, ms per node added between consecutive sizes: (wall(b) - wall(a)) / (b - a)."""

    def step(shape: str, a: int, b: int) -> float:
        added = growth[f"{shape}_{b}"]["wall"] - growth[f"{shape}_{a}"]["wall"]
        return round(1000 * added / (b - a), 2)

    return {
        shape: [step(shape, a, b) for a, b in itertools.pairwise(sizes)]
        for shape in ("chain", "fanout")
    }


def overhead_figures(root: Path, api_url: str, home: Path, repeats: int) -> dict[str, float]:
    """``bridge_overhead``'s per-node comparison, against this bench's server."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_HOME,
        temporary_settings,
    )

    console = bridge_overhead.Console(root / "overhead.log", verbose=False)
    settings = {PREFECT_API_URL: api_url, PREFECT_HOME: str(home),
                PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}  # fmt: skip
    with temporary_settings(updates=settings):
        timings = bridge_overhead.measure_overhead(
            console, bridge_overhead.ServerLoad(), root / "overhead", 100, repeats, "memory"
        )
    bridge, prefect = timings["bridge"].ms_per_node(100), timings["prefect"].ms_per_node(100)
    print(f"  bridge {bridge:.1f} ms/node, hand-written Prefect {prefect:.1f} ms/node", flush=True)
    return {"overhead_ratio": ratio(bridge, prefect), "bridge_ms_per_node": round(bridge, 1)}


if __name__ == "__main__":
    sys.exit(main())
