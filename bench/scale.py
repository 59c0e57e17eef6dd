"""How the pipeline's heavy stages grow with years of data, on this machine.

For each size (1, 3 and 10 simulated years of the offline replica by default:
104 race days a year, 34 races a day, ~3,500 races and ~50k entries a year),
two fresh subprocesses, so that each peak RSS (``ru_maxrss``) is that stage's
own and nothing is shared or warm between sizes:

1. **parse + preprocess**: every result page of the world rendered as the
   replica serves it (EUC-JP bytes; rendering is not timed), then
   ``parse_page`` (timed per page, wall and CPU) and the typed tables built
   by ``tables_from_pages``, streaming as the ``parse_result_pages`` node
   does; the races and entries tables are written for step 2.
2. **features + train**: ``features_from_tables``, ``split_by_date`` and
   ``train_win_model`` with the project's ``training`` parameters
   (``kedro_project/conf/base/parameters_training.yml``, or ``--parameters
   FILE``; ``--model-kind`` overrides ``training.model.kind``), so the bench
   follows whatever model the project trains.

It prints a table per stage (seconds, peak RSS, and the growth exponent
``log(t_big / t_small) / log(n_big / n_small)`` over entries: 1.0 is linear)
and ends with one JSON line: ``parse_pages_per_s_per_core`` (pages per CPU
second of ``parse_page``: the parser is single-threaded), ``train_10y_s``
(features + split + fit of the largest size, wall seconds), ``peak_rss_gb``
(the largest size's features + train peak), their targets and the per-size
figures.

Run: ``uv run python bench/scale.py [--years 1 3 10] [--model-kind KIND]``.
``make bench`` runs it with the defaults (about 10 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
TRAINING_PARAMETERS = REPO / "kedro_project" / "conf" / "base" / "parameters_training.yml"
DAYS_PER_YEAR = 104  # JRA races on Saturdays and Sundays
RACES_PER_DAY = 34  # ~3 meetings of 12 races
TARGETS = {"parse_pages_per_s_per_core": 500.0, "train_10y_s": 300.0, "peak_rss_gb": 4.0}


def peak_rss_gb() -> float:
    """This process's peak resident set (Linux reports ``ru_maxrss`` in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


# ---------------------------------------------------------------- stage 1 (subprocess)


def measure_parse(years: float, workdir: Path, seed: int, races_per_day: int) -> dict[str, Any]:
    """Render, parse and tabulate every result page of a world of ``years`` years."""
    from forecast_keiba.data.tables import tables_from_pages
    from forecast_keiba.netkeiba.parsing import parse_page
    from netkeiba_replica import World, WorldConfig, render

    started = time.perf_counter()
    days = max(2, round(years * DAYS_PER_YEAR))
    world = World(WorldConfig(seed=seed, n_days=days, races_per_day=races_per_day, upcoming_days=0))
    world_s = time.perf_counter() - started
    clock = {"parse_wall": 0.0, "parse_cpu": 0.0, "render": 0.0}

    def loader(race_id: str) -> Callable[[], Any]:
        def load() -> Any:
            begin = time.perf_counter()
            content = render.encode(
                render.render_result_page(world.result_page(race_id), world.race_context(race_id))
            )
            wall, cpu = time.perf_counter(), time.process_time()
            page = parse_page(content, source=f"replica/race/{race_id}")
            clock["parse_cpu"] += time.process_time() - cpu
            clock["parse_wall"] += time.perf_counter() - wall
            clock["render"] += wall - begin
            return page

        return load

    ids = world.run_race_ids()
    pages: Iterator[tuple[str, Callable[[], Any]]] = ((rid, loader(rid)) for rid in ids)
    begin = time.perf_counter()
    tables = tables_from_pages(pages, total=len(ids))
    batch_s = time.perf_counter() - begin
    tables.races.to_parquet(workdir / "races.parquet")
    tables.entries.to_parquet(workdir / "entries.parquet")
    if not tables.failures.empty:
        raise SystemExit(f"{len(tables.failures)} replica pages failed to parse")
    return {
        "years": years,
        "races": len(tables.races),
        "entries": len(tables.entries),
        "world_s": world_s,
        "parse_s": clock["parse_wall"],
        "parse_cpu_s": clock["parse_cpu"],
        # the batch minus rendering and parsing: building the typed tables
        "preprocess_s": batch_s - clock["render"] - clock["parse_wall"],
        "render_s": clock["render"],
        "pages_per_s_per_core": len(ids) / clock["parse_cpu"],
        "peak_rss_gb": peak_rss_gb(),
    }


# ---------------------------------------------------------------- stage 2 (subprocess)


def training_parameters(
    model_kind: str | None, parameters: Path = TRAINING_PARAMETERS
) -> dict[str, Any]:
    """The ``training`` parameters in ``parameters``, with ``model.kind`` overridden if asked."""
    training = dict(yaml.safe_load(parameters.read_text())["training"])
    if model_kind:
        training["model"] = {"kind": model_kind}
    return training


def measure_train(workdir: Path, model_kind: str | None, parameters: Path) -> dict[str, Any]:
    """Features, time split and model fit on the tables stage 1 wrote."""
    import pandas as pd

    from forecast_keiba.features.pre_race import features_from_tables
    from forecast_keiba.models.fitting import split_by_date, train_win_model

    training = training_parameters(model_kind, parameters)
    races = pd.read_parquet(workdir / "races.parquet")
    entries = pd.read_parquet(workdir / "entries.parquet")
    cpu = time.process_time()
    begin = time.perf_counter()
    features = features_from_tables(races, entries)
    features_s = time.perf_counter() - begin
    begin = time.perf_counter()
    train, _test = split_by_date(
        features, training.get("test_start_date"), training.get("test_fraction", 0.25)
    )
    split_s = time.perf_counter() - begin
    begin = time.perf_counter()
    train_win_model(train, training["model"], training["fitting"], training.get("use_gpu", "auto"),
                    training.get("gpu_model"))  # fmt: skip
    fit_s = time.perf_counter() - begin
    return {
        "model_kind": training.get("model", {}).get("kind", "default"),
        "feature_rows": len(features),
        "train_rows": len(train),
        "features_s": features_s,
        "split_s": split_s,
        "fit_s": fit_s,
        "train_s": features_s + split_s + fit_s,
        # CPU seconds of all threads: above train_s when BLAS uses both cores,
        # far below it when other work shares the machine
        "train_cpu_s": time.process_time() - cpu,
        "train_peak_rss_gb": peak_rss_gb(),
    }


# ---------------------------------------------------------------- driver


def _child(args: Sequence[str]) -> dict[str, Any]:
    """Run this script as a fresh subprocess; its last stdout line is its JSON result."""
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"scale.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_size(
    years: float, seed: int, races_per_day: int, model_kind: str | None, parameters: Path
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="keiba-scale-") as workdir:
        parsed = _child(
            ["--stage", "parse", "--workdir", workdir, "--seed", str(seed),
             "--races-per-day", str(races_per_day), "--years", str(years)]
        )  # fmt: skip
        trained = _child(
            ["--stage", "train", "--workdir", workdir, "--parameters", str(parameters)]
            + (["--model-kind", model_kind] if model_kind else [])
        )
    return {**parsed, **trained}


def growth(small: dict[str, Any], big: dict[str, Any], key: str) -> float | None:
    """Exponent of ``key`` against entries from size ``small`` to size ``big`` (1.0: linear)."""
    if big["entries"] <= small["entries"] or small[key] <= 0 or big[key] <= 0:
        return None
    return math.log(big[key] / small[key]) / math.log(big["entries"] / small["entries"])


def _exponents(sizes: list[dict[str, Any]], key: str) -> list[float | None]:
    """Growth exponents between consecutive sizes."""
    return [growth(a, b, key) for a, b in itertools.pairwise(sizes)]


def report(sizes: list[dict[str, Any]]) -> dict[str, Any]:
    """Print the table and return the figures of the JSON line."""
    # CPU seconds of parse_page as well as wall: a busy machine inflates the wall time
    stages = [("parse_s", "parse"), ("parse_cpu_s", "parse CPU"), ("preprocess_s", "preprocess"),
              ("features_s", "features"), ("fit_s", "fit"),
              ("train_s", "features+split+fit")]  # fmt: skip
    print(f"model: {sizes[0]['model_kind']}")
    header = "".join(f"{s['years']:>10g}y" for s in sizes)
    steps = " ".join(f"{a['years']:g}→{b['years']:g}y" for a, b in itertools.pairwise(sizes))
    print(f"{'':22}{header}   growth exponent {steps} (1.0 = linear in entries)")
    print(f"{'races':22}" + "".join(f"{s['races']:>11,}" for s in sizes))
    print(f"{'entries':22}" + "".join(f"{s['entries']:>11,}" for s in sizes))
    for key, label in stages:
        shown = " ".join("n/a" if e is None else f"{e:.2f}" for e in _exponents(sizes, key))
        print(f"{label + ' s':22}" + "".join(f"{s[key]:>11.1f}" for s in sizes) + f"   {shown}")
    print(
        f"{'parse pages/s/core':22}" + "".join(f"{s['pages_per_s_per_core']:>11.0f}" for s in sizes)
    )
    print(f"{'train CPU s':22}" + "".join(f"{s['train_cpu_s']:>11.1f}" for s in sizes))
    print(f"{'peak RSS parse GB':22}" + "".join(f"{s['peak_rss_gb']:>11.2f}" for s in sizes))
    print(f"{'peak RSS train GB':22}" + "".join(f"{s['train_peak_rss_gb']:>11.2f}" for s in sizes))
    largest = sizes[-1]
    pages = sum(s["races"] for s in sizes)
    figures = {
        "parse_pages_per_s_per_core": round(pages / sum(s["parse_cpu_s"] for s in sizes), 1),
        "train_10y_s": round(largest["train_s"], 1),
        "peak_rss_gb": round(largest["train_peak_rss_gb"], 2),
        "largest_years": largest["years"],
        "model_kind": largest["model_kind"],
        "targets": TARGETS,
        "growth_exponents": {key: _exponents(sizes, key) for key, _ in stages},
        "sizes": [
            {k: (round(v, 3) if isinstance(v, float) else v) for k, v in s.items()} for s in sizes
        ],
    }
    for key, target in TARGETS.items():
        better = figures[key] >= target if key.startswith("parse") else figures[key] <= target
        print(f"{key}: {figures[key]} (target {target:g}: {'met' if better else 'NOT met'})")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--years", type=float, nargs="+", default=[1, 3, 10])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--races-per-day", type=int, default=RACES_PER_DAY)
    parser.add_argument("--model-kind", default=None, help="override training.model.kind")
    parser.add_argument(
        "--parameters",
        type=Path,
        default=TRAINING_PARAMETERS,
        help="YAML file with the `training` parameters (default: the project's conf/base)",
    )
    parser.add_argument("--stage", choices=["parse", "train"], help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage == "parse":
        result = measure_parse(args.years[0], args.workdir, args.seed, args.races_per_day)
    elif args.stage == "train":
        result = measure_train(args.workdir, args.model_kind, args.parameters)
    else:
        sizes = [
            measure_size(years, args.seed, args.races_per_day, args.model_kind, args.parameters)
            for years in sorted(args.years)
        ]
        result = report(sizes)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
