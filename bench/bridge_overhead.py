"""What the Kedro→Prefect bridge (``flows/``) costs, against one real Prefect server.

Two questions, answered side by side in one run, against one throwaway
``prefect server start`` (127.0.0.1, its own PREFECT_HOME, stopped at the end;
every file lives in temp dirs, removed at the end). Its database is a throwaway
PostgreSQL cluster when PostgreSQL's server programs are installed
(``--database auto``, the default), else SQLite; :func:`server_database` says
why SQLite makes the figures swing:

1. **Orchestration overhead per node.** A synthetic Kedro 1.7 project is
   generated into the temp dir: a chain of ``--nodes`` nodes (``seed`` then
   ``step`` x N-1, each ``x + 1`` on an int), its datasets in memory (default)
   or one small JSON file each (``--datasets json``), and a
   ``conf/base/prefect.yml`` with ``default: {cache: false}``, so that no node
   is cached: what is compared is orchestration, not caching. The chain runs
   three ways:

   (a) the bridge: ``kedro_prefect.kedro_flow(pipeline="__default__", project_path=...)``;
   (b) a hand-written Prefect flow: the same node functions as ``@task``s
       (``NO_CACHE``, ``persist_result=False``, no tags) submitted as the same
       chain on the same (default, thread-pool) task runner; with
       ``--datasets json`` each task loads and saves the same files with the
       same ``kedro_datasets`` JSONDataset as the Kedro catalog does;
   (c) Kedro alone: in-process ``bootstrap_project`` + ``KedroSession.create``
       + ``session.run()`` with Kedro's default SequentialRunner (no Prefect).

   Each is timed from the caller's side (the whole call: flow-run creation,
   Kedro session, plan, tasks, artifacts, final state), once untimed as a
   warm-up and then ``--repeats`` times interleaved a, b, c, a, b, c... The
   median wall time divided by the number of nodes is the per-node overhead
   (the node work is trivial, so ms/node is nearly all orchestration); the
   bridge's fixed per-run costs (session, plan, artifacts) are amortised into
   it exactly as a user feels them.

2. **What caching buys on a real pipeline.** A copy of ``kedro_project/``
   without ``data/`` is made in the temp dir, so that its ``data_root: data``
   resolves inside the copy; ``kedro run --pipeline scraping`` then
   ``--pipeline preprocessing`` (subprocesses, in the copy) fill it from an
   offline replica world on loopback: the project's own default world
   (``source.embedded_replica`` of conf/base, 104 days x 24 races, the data
   ``make demo`` trains on; ``--days`` / ``--races-per-day`` shrink it). That
   preparation overlaps the server's start and is not timed. The ratio depends
   on the world: fixed costs of a cached run (~0.75 s: flow run, Kedro session,
   plan, eleven cache lookups, the MLflow run) against training that grows with
   the data (cold ~10 s on the default world, ~8 s on a 40-day one).
   Then ``kedro_flow(pipeline="training", project_path=<copy>)`` is timed
   cold (the first run, then ``refresh=True``) and unchanged (every node
   should come back Cached), alternating, ``--repeats`` times each. The
   replica's Kedro hook (EmbeddedReplica) runs as in any run unless
   ``--no-embedded-replica``.

How runs are made comparable on a small, shared machine:

* the server does much of a run's work (events, states, logs into SQLite)
  after the flow call has returned; every timed run starts once the server
  process is quiet, and its CPU until it is quiet again is reported too
  ("server CPU"), read from /proc;
* Prefect 3.8's flow-run heartbeat thread sleeps in 1 s steps and is joined
  when the flow ends, which rounds every flow run up to a whole second after
  its start (+0.5 s on average for any flow, bridge or not, i.e. 5 ms/node
  of pure noise at 100 nodes); it is switched off
  (``PREFECT_FLOWS_HEARTBEAT_FREQUENCY=None``) unless ``--heartbeats``;
* Prefect remembers for 5 s, client-side, that a set of task tags has no
  concurrency limit; that cache is emptied before every timed run, so each run
  behaves like an independent (scheduled) flow run, whatever ran just before.

Targets: ``overhead_ratio`` = bridge / hand-written Prefect ms per node <= 1.25;
``cached_rerun_ratio`` = cached / cold training wall time <= 0.10.

Kedro's and Prefect's logs go to a file in the temp dir (its tail is shown if
something fails; ``--verbose`` leaves them on the console). A readable table is
printed, then, last, one JSON line::

    {"bridge_ms_per_node": ..., "prefect_ms_per_node": ..., "kedro_ms_per_node": ...,
     "overhead_ratio": ..., "cached_rerun_ratio": ..., "database": "postgresql"|"sqlite"}

Run: ``uv run python bench/bridge_overhead.py [--nodes 100] [--repeats 3]
[--datasets memory|json] [--skip-training] [--no-embedded-replica]
[--days 104] [--races-per-day 24] [--database auto|postgresql|sqlite] [--heartbeats]
[--verbose]``. A full run takes about 7 minutes on 2 cores (server start ~25 s,
scraping + preprocessing ~2 min overlapping it); ``--skip-training`` ~2 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _support import (
    KEDRO_PROJECT,
    copy_kedro_project,
    postgres_available,
    throwaway_postgres,
    write_generated_project,
)

import no_telemetry  # noqa: F401  (nothing here may phone home; Kedro may load first)

PACKAGE = "bridge_bench_chain"


def project_world() -> dict[str, Any]:
    """The replica world the project's own runs use (``source.embedded_replica`` of
    conf/base): training is timed on the data ``make demo`` trains on, not a toy."""
    import yaml

    parameters = yaml.safe_load((KEDRO_PROJECT / "conf/base/parameters.yml").read_text())
    world = dict(parameters["source"]["embedded_replica"])
    world.pop("faults", None)
    return world


TRAINING_WORLD = project_world()
TARGET_OVERHEAD_RATIO = 1.25
TARGET_CACHED_RATIO = 0.10


# ------------------------------------------------------------------ console output


class Console:
    """The bench's own lines go to the real stdout; while ``quiet()`` is active,
    everything else written to fds 1 and 2 (Kedro's and Prefect's log handlers
    included, whatever stream object they hold) goes to a log file instead."""

    def __init__(self, log_path: Path, verbose: bool) -> None:
        self.log_path = log_path
        self.verbose = verbose
        self._out = os.fdopen(os.dup(1), "w", buffering=1)

    def print(self, text: str = "") -> None:
        self._out.write(text + "\n")
        self._out.flush()

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        if self.verbose:
            yield
            return
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        with self.log_path.open("a") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            try:
                yield
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
                os.close(saved[0])
                os.close(saved[1])

    def tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


# ------------------------------------------------------------------ the synthetic project


def write_chain_project(root: Path, nodes: int, datasets: str) -> Path:
    """A minimal Kedro 1.7 project whose default pipeline is a chain of ``nodes`` nodes."""
    registry = f'''\
        """A chain: seed -> step -> step -> ... ({nodes} nodes)."""

        from kedro.pipeline import Pipeline, node

        from {PACKAGE}.nodes import seed, step

        NODES = {nodes}


        def dataset(i: int) -> str:
            return f"d{{i:04d}}"


        def register_pipelines() -> dict[str, Pipeline]:
            chain = [node(seed, "params:start", dataset(0), name="n0000")]
            chain += [
                node(step, dataset(i - 1), dataset(i), name=f"n{{i:04d}}")
                for i in range(1, NODES)
            ]
            return {{"__default__": Pipeline(chain)}}
    '''
    catalog = {}
    if datasets == "json":
        catalog = {
            f"d{i:04d}": {"type": "json.JSONDataset", "filepath": f"data/d{i:04d}.json"}
            for i in range(nodes)
        }
    return write_generated_project(root, PACKAGE, registry, catalog, folder="chain_project")


def chain_functions(project: Path) -> tuple[Callable[[int], int], Callable[[int], int]]:
    """The generated ``seed`` and ``step`` functions, imported from the project."""
    src = str(project / "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    module = importlib.import_module(f"{PACKAGE}.nodes")
    return module.seed, module.step


# ------------------------------------------------------------------ the three ways to run it


Run = Callable[[], tuple[float, Any]]  # a timed run: (wall seconds, what it returned)


def run_bridge(project: Path, nodes: int) -> tuple[float, dict[str, str]]:
    from kedro_prefect import kedro_flow

    started = time.perf_counter()
    state = kedro_flow(pipeline="__default__", project_path=str(project), return_state=True)
    elapsed = time.perf_counter() - started
    if not state.is_completed():
        raise RuntimeError(f"bridge flow run ended {state.name}: {state.message}")
    node_states = state.result()
    completed = sum(name == "Completed" for name in node_states.values())
    if len(node_states) != nodes or completed != nodes:
        raise RuntimeError(f"bridge: {completed}/{len(node_states)} of {nodes} nodes Completed")
    return elapsed, node_states


def bridge_tags(project: Path) -> list[str]:
    """The tags the bridge gives the chain's task runs (one set: every node looks alike)."""
    from kedro_prefect import plan_pipeline
    from kedro_prefect.node_task import node_tags

    tag_sets = {
        tuple(node_tags(planned, "__default__"))
        for planned in plan_pipeline("__default__", project_path=str(project)).nodes
    }
    if len(tag_sets) != 1:
        raise RuntimeError(f"the chain's nodes should share one tag set, not {tag_sets}")
    return list(tag_sets.pop())


def make_prefect_chain(project: Path, nodes: int, datasets: str, tags: list[str]) -> Run:
    """The hand-written Prefect flow: the chain as ``@task`` calls, no Kedro.

    Its tasks carry ``tags`` (the bridge's, by default): Prefect looks tag
    concurrency limits up on the server for tagged tasks, a cost of Prefect's
    own that a hand-written flow with the same tags pays alike.
    """
    from kedro_datasets.json import JSONDataset
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE

    seed, step = chain_functions(project)
    options: dict[str, Any] = {"cache_policy": NO_CACHE, "persist_result": False, "tags": tags}

    if datasets == "memory":
        seed_task = task(seed, name="seed", **options)
        step_task = task(step, name="step", **options)

        @flow(name="bench-prefect-chain")
        def prefect_chain() -> int:
            future = seed_task.submit(0)
            for _ in range(1, nodes):
                future = step_task.submit(future)
            return future.result()

    else:
        data = project / "data"

        def run_json_node(i: int) -> None:
            output = JSONDataset(filepath=str(data / f"d{i:04d}.json"))
            if i == 0:
                output.save(seed(0))
            else:
                output.save(step(JSONDataset(filepath=str(data / f"d{i - 1:04d}.json")).load()))

        node_task = task(run_json_node, name="node", **options)

        @flow(name="bench-prefect-chain")
        def prefect_chain() -> int:
            future = node_task.submit(0)
            for i in range(1, nodes):
                future = node_task.submit(i, wait_for=[future])
            future.result()
            return JSONDataset(filepath=str(data / f"d{nodes - 1:04d}.json")).load()

    def run() -> tuple[float, int]:
        started = time.perf_counter()
        state = prefect_chain(return_state=True)
        elapsed = time.perf_counter() - started
        if not state.is_completed() or state.result() != nodes - 1:
            raise RuntimeError(f"hand-written Prefect flow ended {state.name}: {state.message}")
        return elapsed, state.result()

    return run


def run_kedro(project: Path, nodes: int) -> tuple[float, None]:
    """In-process ``kedro run``: KedroSession.run with its default SequentialRunner."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    started = time.perf_counter()
    bootstrap_project(project)
    with KedroSession.create(project_path=project) as session:
        outputs = session.run(pipeline_names=["__default__"])
    elapsed = time.perf_counter() - started
    last = f"d{nodes - 1:04d}"
    if last in outputs:  # memory datasets: the chain's end is a free output
        value = outputs[last].load() if hasattr(outputs[last], "load") else outputs[last]
        if value != nodes - 1:
            raise RuntimeError(f"kedro run: last node gave {value!r}, expected {nodes - 1}")
    return elapsed, None


# ------------------------------------------------------------------ timing


class ServerLoad:
    """CPU time of the Prefect server (the child process of this one running
    ``prefect server start``), read from /proc; a no-op where there is none.

    The server does much of its work (events, task-run states, logs, into
    SQLite) after a flow run has returned, and on 2 cores that backlog would
    slow whatever runs next: every timed run starts once the server is quiet,
    and its server CPU is counted until the server is quiet again."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        for entry in Path("/proc").glob("[0-9]*"):
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == os.getpid() and b"server" in cmdline and b"start" in cmdline:
                self.pid = int(entry.name)

    def cpu_seconds(self) -> float:
        if self.pid is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / self._tick

    def wait_quiet(self, window: float = 0.5, max_share: float = 0.05, limit: float = 60) -> None:
        """Until the server used at most ``max_share`` of a core over ``window`` seconds."""
        deadline = time.monotonic() + limit
        while self.pid is not None and time.monotonic() < deadline:
            before = self.cpu_seconds()
            time.sleep(window)
            if self.cpu_seconds() - before <= max_share * window:
                return


def forget_tag_limits() -> None:
    """Start each run as an independent flow run would (scheduled runs are minutes
    apart): empty Prefect's client-side cache of "these task tags have no
    concurrency limit", which lives 5 s, so that whether a run asks the server
    does not depend on how soon after the previous run it starts."""
    from prefect.concurrency import services

    cache = getattr(services, "_no_limits_cache", None)
    if cache is not None:
        with services._cache_lock:
            cache.clear()


@dataclass
class Timings:
    label: str
    runs: list[float] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def ms_per_node(self, nodes: int) -> float:
        return 1000 * self.median / nodes

    def timed(self, console: Console, server: ServerLoad, run: Run) -> Any:
        """One timed run, started on a quiet server; returns what the run returned."""
        server.wait_quiet()
        forget_tag_limits()
        before = server.cpu_seconds()
        with console.quiet():
            wall, value = run()
        server.wait_quiet()
        self.runs.append(wall)
        self.server_cpu.append(server.cpu_seconds() - before)
        return value


def measure_overhead(
    console: Console, server: ServerLoad, root: Path, nodes: int, repeats: int, datasets: str
) -> dict[str, Timings]:
    project = write_chain_project(root, nodes, datasets)
    tags = bridge_tags(project)
    variants: dict[str, Run] = {
        "bridge": lambda: run_bridge(project, nodes),
        "prefect": make_prefect_chain(project, nodes, datasets, tags),
        "kedro": lambda: run_kedro(project, nodes),
        "prefect_untagged": make_prefect_chain(project, nodes, datasets, []),
    }
    labels = {
        "bridge": "(a) bridge: kedro_prefect.kedro_flow",
        "prefect": f"(b) hand-written Prefect flow, tags {','.join(tags)}",
        "kedro": "(c) kedro run (in-process, SequentialRunner)",
        "prefect_untagged": "(b') the same, untagged (what Prefect's tags cost)",
    }
    timings = {key: Timings(labels[key]) for key in variants}
    console.print("  warm-up: one untimed run of each")
    for run in variants.values():
        Timings("warm-up").timed(console, server, run)
    for repeat in range(1, repeats + 1):
        for key, run in variants.items():
            timings[key].timed(console, server, run)
        summary = ", ".join(f"{key} {timings[key].runs[-1]:.2f}s" for key in variants)
        console.print(f"  repeat {repeat}/{repeats}: {summary}")
    return timings


# ------------------------------------------------------------------ the training pipeline


class TrainingInputs(threading.Thread):
    """Scrape + preprocess a replica world into the copy, in the background
    (overlapping the Prefect server's start); ``join()`` then check ``error``."""

    def __init__(self, project: Path, log_path: Path) -> None:
        super().__init__(name="training-inputs", daemon=True)
        self.project = project
        self.log_path = log_path
        self.error: str | None = None
        self.races = 0
        self.seconds = 0.0

    def run(self) -> None:
        from forecast_keiba.console.demo import format_params
        from netkeiba_replica.server import ReplicaServer
        from netkeiba_replica.world import World, WorldConfig

        started = time.perf_counter()
        try:
            world = World(WorldConfig.from_params(TRAINING_WORLD))
            days = world.racing_days()
            with ReplicaServer(world) as server, self.log_path.open("w") as log:
                # the world scraped is the one source.embedded_replica describes, so
                # the exported ground truth (the backtest's oracle) matches the races
                world_params = {f"source.embedded_replica.{key}": value
                                for key, value in TRAINING_WORLD.items()}  # fmt: skip
                params = format_params({
                    "source.db_base_url": server.urls.db_base,
                    "source.race_base_url": server.urls.race_base,
                    "scraping.start_date": days[0].isoformat(),
                    "scraping.end_date": days[-1].isoformat(),
                    "scraping.as_of": (days[-1] + dt.timedelta(days=1)).isoformat(),
                    **world_params,
                })  # fmt: skip
                for pipeline in ("scraping", "preprocessing"):
                    result = subprocess.run(
                        [sys.executable, "-m", "kedro", "run", "--pipeline", pipeline,
                         "--params", params],
                        cwd=self.project, stdout=log, stderr=subprocess.STDOUT, check=False,
                    )  # fmt: skip
                    if result.returncode != 0:
                        self.error = f"kedro run --pipeline {pipeline} exited {result.returncode}"
                        return
            self.races = len(world.run_race_ids())
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.seconds = time.perf_counter() - started


@dataclass
class TrainingResult:
    cold: Timings
    cached: Timings
    cold_states: list[dict[str, str]]
    cached_states: list[dict[str, str]]


def run_training(
    project: Path, refresh: bool, params: dict[str, Any] | None
) -> tuple[float, dict[str, str]]:
    from kedro_prefect import kedro_flow

    started = time.perf_counter()
    state = kedro_flow(
        pipeline="training",
        project_path=str(project),
        params=params,
        refresh=refresh,
        return_state=True,
    )
    elapsed = time.perf_counter() - started
    if not state.is_completed():
        raise RuntimeError(f"training flow run ended {state.name}: {state.message}")
    return elapsed, state.result()


def measure_training(
    console: Console,
    server: ServerLoad,
    project: Path,
    repeats: int,
    params: dict[str, Any] | None,
) -> TrainingResult:
    """Cold (first run, then refresh=True) and unchanged reruns, alternating."""
    result = TrainingResult(Timings("cold"), Timings("cached"), [], [])
    for repeat in range(1, repeats + 1):
        refresh = repeat > 1
        cold = result.cold.timed(
            console, server, lambda r=refresh: run_training(project, r, params)
        )
        result.cold_states.append(cold)
        cached = result.cached.timed(console, server, lambda: run_training(project, False, params))
        result.cached_states.append(cached)
        console.print(
            f"  repeat {repeat}/{repeats}: cold ({'refresh' if refresh else 'first run'}) "
            f"{result.cold.runs[-1]:.2f}s [{state_counts(cold)}], "
            f"cached {result.cached.runs[-1]:.2f}s [{state_counts(cached)}]"
        )
    return result


def state_counts(states: dict[str, str]) -> str:
    counts: dict[str, int] = {}
    for name in states.values():
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))


# ------------------------------------------------------------------ report


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        cells = [cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in
                 enumerate(zip(row, widths, strict=True))]  # fmt: skip
        lines.append("  " + "  ".join(cells))
        if number == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(
    console: Console,
    args: argparse.Namespace,
    overhead: dict[str, Timings],
    training: TrainingResult | None,
) -> dict[str, float | str | None]:
    nodes = args.nodes
    heartbeats = "on (Prefect default)" if args.heartbeats else "off"
    console.print()
    console.print(
        f"Per-node overhead: chain of {nodes} trivial nodes, {args.datasets} datasets, "
        f"default thread-pool task runner, cache off, flow heartbeats {heartbeats}, "
        f"server database {args.database}; median of {args.repeats} (min beside it)"
    )
    rows = [["variant", "median wall s", "ms/node", "min ms/node", "server CPU ms/node",
             "runs (s)"]]  # fmt: skip
    for timing in overhead.values():
        rows.append([
            timing.label, f"{timing.median:.3f}", f"{timing.ms_per_node(nodes):.2f}",
            f"{1000 * min(timing.runs) / nodes:.2f}",
            f"{1000 * statistics.median(timing.server_cpu) / nodes:.2f}",
            " ".join(f"{r:.2f}" for r in timing.runs),
        ])  # fmt: skip
    console.print(table(rows))
    bridge = overhead["bridge"].ms_per_node(nodes)
    prefect = overhead["prefect"].ms_per_node(nodes)
    kedro = overhead["kedro"].ms_per_node(nodes)
    ratio = bridge / prefect
    verdict = "met" if ratio <= TARGET_OVERHEAD_RATIO else "MISSED"
    console.print(
        f"  overhead_ratio bridge/prefect = {ratio:.3f} (target <= {TARGET_OVERHEAD_RATIO}: "
        f"{verdict}); bridge - prefect = {bridge - prefect:+.2f} ms/node"
    )

    cached_ratio: float | None = None
    if training is not None:
        console.print()
        world = ", ".join(f"{k}={v}" for k, v in TRAINING_WORLD.items())
        console.print(
            f"Training pipeline of kedro_project through the bridge (world {world}), "
            f"flow heartbeats {heartbeats}, the replica's EmbeddedReplica hook "
            f"{'off' if args.no_embedded_replica else 'on'}; median of {args.repeats}"
        )
        rows = [["run", "median wall s", "server CPU s", "runs (s)", "node states (last run)"]]
        for what, timing, states in (
            ("cold (first run, then refresh=True)", training.cold, training.cold_states),
            ("cached (unchanged rerun)", training.cached, training.cached_states),
        ):
            rows.append([
                what, f"{timing.median:.3f}", f"{statistics.median(timing.server_cpu):.2f}",
                " ".join(f"{r:.2f}" for r in timing.runs), state_counts(states[-1]),
            ])  # fmt: skip
        console.print(table(rows))
        cached_ratio = training.cached.median / training.cold.median
        verdict = "met" if cached_ratio <= TARGET_CACHED_RATIO else "MISSED"
        console.print(
            f"  cached_rerun_ratio cached/cold = {cached_ratio:.3f} "
            f"(target <= {TARGET_CACHED_RATIO}: {verdict})"
        )
    return {
        "bridge_ms_per_node": round(bridge, 3),
        "prefect_ms_per_node": round(prefect, 3),
        "kedro_ms_per_node": round(kedro, 3),
        "overhead_ratio": round(ratio, 3),
        "cached_rerun_ratio": None if cached_ratio is None else round(cached_ratio, 4),
        "database": args.database,
    }


# ------------------------------------------------------------------ main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=100, help="nodes in the synthetic chain")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each variant")
    parser.add_argument(
        "--datasets",
        choices=["memory", "json"],
        default="memory",
        help="chain datasets: Kedro MemoryDatasets, or one small JSON file per node",
    )
    parser.add_argument(
        "--skip-training", action="store_true", help="only the per-node overhead (quick)"
    )
    parser.add_argument("--days", type=int, default=TRAINING_WORLD["n_days"],
                        help="race days in the training world")  # fmt: skip
    parser.add_argument("--races-per-day", type=int, default=TRAINING_WORLD["races_per_day"],
                        help="races per day in the training world")  # fmt: skip
    parser.add_argument(
        "--no-embedded-replica",
        action="store_true",
        help="run training with params source.embedded_replica=null, so that the replica's "
        "EmbeddedReplica hook does not build and serve a replica world in every run",
    )
    parser.add_argument(
        "--heartbeats",
        action="store_true",
        help="keep Prefect's flow-run heartbeats (each flow run then ends on a whole second)",
    )
    parser.add_argument(
        "--database",
        choices=["auto", "postgresql", "sqlite"],
        default="auto",
        help="the Prefect server's database: a throwaway PostgreSQL cluster (auto: when "
        "PostgreSQL's server programs are installed) or SQLite, the embedded default",
    )
    parser.add_argument("--verbose", action="store_true", help="leave all logs on the console")
    args = parser.parse_args(argv)
    if args.database == "auto":
        args.database = "postgresql" if postgres_available() else "sqlite"
    if args.nodes < 2 or args.repeats < 1:
        parser.error("--nodes must be >= 2 and --repeats >= 1")
    TRAINING_WORLD.update(n_days=args.days, races_per_day=args.races_per_day)
    return args


def measure_all(
    console: Console, args: argparse.Namespace, root: Path, api_url: str, home: Path
) -> tuple[dict[str, Timings], TrainingResult | None]:
    """Everything timed, with this process pointed at the server at ``api_url``."""
    from prefect.logging.handlers import APILogHandler
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_HOME,
        PREFECT_LOCAL_STORAGE_PATH,
        temporary_settings,
    )

    settings: dict[Any, Any] = {
        PREFECT_API_URL: api_url,
        PREFECT_HOME: str(home),
        PREFECT_LOCAL_STORAGE_PATH: str(home / "storage"),
    }
    if not args.heartbeats:
        settings[PREFECT_FLOWS_HEARTBEAT_FREQUENCY] = None
    server = ServerLoad()
    with temporary_settings(updates=settings):
        try:
            console.print(f"per-node overhead ({args.datasets} datasets):")
            overhead = measure_overhead(
                console, server, root, args.nodes, args.repeats, args.datasets
            )
            training = None
            if not args.skip_training:
                console.print("training pipeline, cold vs cached:")
                params = (
                    {"source": {"embedded_replica": None}} if args.no_embedded_replica else None
                )
                training = measure_training(
                    console, server, root / "kedro_project", args.repeats, params
                )
        finally:
            with console.quiet():
                APILogHandler().flush()  # deliver buffered logs while the server listens
    return overhead, training


@contextlib.contextmanager
def server_database(kind: str) -> Iterator[str | None]:
    """The server's database URL: a throwaway PostgreSQL cluster, or None (SQLite).

    Prefect 3.8's SQLite backend answers concurrent writes with "database is
    locked" (HTTP 503), which its client retries after ~2 s; every tagged task
    asks the server for tag concurrency limits, a write, so on SQLite a run's
    wall time swings by whole 2 s steps that belong to neither the bridge nor
    the hand-written chain. PostgreSQL, Prefect's production database, has no
    such stalls; SQLite stays selectable (``--database sqlite``) to see them."""
    if kind == "sqlite":
        yield None
        return
    from kedro_prefect.local_server import free_port

    with throwaway_postgres(free_port()) as url:
        yield url


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bridge_overhead_") as tmp:
        root = Path(tmp)
        console = Console(root / "bench.log", args.verbose)
        console.print(f"bridge overhead bench, {dt.datetime.now():%Y-%m-%d %H:%M}, in {root}")
        with console.quiet():
            import kedro_prefect  # noqa: F401  (no-telemetry environment before Kedro/Prefect load)
            from kedro_prefect.local_server import prefect_server
        inputs: TrainingInputs | None = None
        if not args.skip_training:
            inputs = TrainingInputs(copy_kedro_project(root / "kedro_project"), root / "prep.log")
            inputs.start()
            console.print("preparing training inputs (scraping + preprocessing) in the background")
        home = root / "prefect_home"
        console.print(f"starting the Prefect server ({args.database}, 127.0.0.1) ...")
        try:
            with (
                server_database(args.database) as database_url,
                prefect_server(home, database_url) as api_url,
            ):
                console.print(f"  {api_url} up after {time.perf_counter() - started:.0f}s")
                if inputs is not None:
                    inputs.join()
                    if inputs.error:
                        log = (root / "prep.log").read_text(errors="replace")[-3000:]
                        raise RuntimeError(f"preparing training inputs: {inputs.error}\n{log}")
                    console.print(
                        f"  training inputs ready: {inputs.races} races, {inputs.seconds:.0f}s"
                    )
                overhead, training = measure_all(console, args, root, api_url, home)
        except Exception:
            console.print("FAILED; last log lines:\n" + console.tail())
            raise
        finally:
            if inputs is not None:
                inputs.join()  # its kedro subprocess writes into the temp dir
        figures = report(console, args, overhead, training)
        console.print(f"\nbench took {time.perf_counter() - started:.0f}s in all")
        console.print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
