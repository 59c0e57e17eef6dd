"""Run every bench script one after another and print one table of their figures.

Each script prints its own side-by-side report and ends with one JSON line of
its figures; this runner shows the reports as they come (so a long bench shows
progress), keeps each script's last JSON line, and ends with a table: figure,
value, target and whether it is met, plus the JSON lines themselves, verbatim.
A script that fails or prints no JSON line is reported as such, and the runner
exits non-zero, after running the others.

Run: ``uv run python bench/summary.py [--only parse_bench bridge_overhead ...]
[--quick]`` (``make bench``). ``--quick`` passes each script its own smaller
settings (fewer repeats, worlds of days or weeks): a smoke run, not figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Figure:
    """One figure of a script's JSON line, with its target (None: informational)."""

    key: str
    label: str
    target: float | None = None
    higher_is_better: bool = True

    def verdict(self, value: object) -> str:
        if self.target is None or not isinstance(value, int | float):
            return ""
        met = value >= self.target if self.higher_is_better else value <= self.target
        return "met" if met else "MISSED"

    def target_text(self) -> str:
        if self.target is None:
            return "-"
        return f"{'>=' if self.higher_is_better else '<='} {self.target:g}"


@dataclass(frozen=True)
class Script:
    name: str
    figures: tuple[Figure, ...]
    quick_args: tuple[str, ...] = ()


# The targets are the issues' acceptance figures (the scripts print them too).
SCRIPTS = (
    Script(
        "parse_bench",
        (
            Figure("ours_pages_per_s", "parser pages/s (ours)"),
            Figure("read_html_pages_per_s", "parser pages/s (read_html + soup)"),
            Figure("speedup", "parse speedup vs read_html + soup", 20),
            Figure("speedup_vs_lean", "parse speedup vs read_html + regex"),
        ),
        ("--rounds", "1"),
    ),
    Script(
        "bridge_overhead",
        (
            Figure("bridge_ms_per_node", "bridge ms/node"),
            Figure("prefect_ms_per_node", "hand-written Prefect ms/node"),
            Figure("kedro_ms_per_node", "kedro run ms/node"),
            Figure("overhead_ratio", "bridge / hand-written Prefect", 1.25, False),
            Figure("cached_rerun_ratio", "cached / cold training run", 0.10, False),
            Figure("database", "Prefect server database"),
        ),
        ("--repeats", "1", "--nodes", "20", "--days", "10"),
    ),
    Script(
        "whole_command",
        (
            Figure(
                "spaceflights_cold_ratio", "spaceflights: kedro prefect run / kedro run", 1.3, False
            ),
            Figure("spaceflights_cached_ratio", "spaceflights: cached run / kedro run", 0.8, False),
            Figure("plan_ratio", "kedro prefect plan / kedro registry list", 1.1, False),
            Figure("cached_rerun_ratio", "keiba training: cached / cold command", 0.05, False),
            Figure("overhead_ratio", "per node: bridge / hand-written Prefect", 1.10, False),
            Figure("ms_per_node_1000_vs_100", "ms/node, 1,000 vs 100 nodes", 1.2, False),
            Figure("rss_mb_1000", "peak RSS of a 1,000-node flow (MB)"),
            Figure("parallel_ratio", "8 I/O branches, default runner / kedro run", 0.3, False),
            Figure("parallel_ratio_threads", "8 I/O branches, threads / kedro run", 0.3, False),
        ),
        ("--quick",),
    ),
    Script(
        "quality_ceiling",
        (
            Figure("floor_log_loss", "log loss floor: known strengths + market"),
            Figure("floor_log_loss_sd_0_2", "log loss, strengths known to sd 0.2 + market"),
            Figure("market_log_loss", "log loss: market"),
            Figure("oracle_log_loss", "log loss: oracle (knows the race-day noise)"),
        ),
        ("--days", "40", "--races-per-day", "12"),
    ),
    Script(
        "ray_vs_local",
        (
            Figure("local_s", "full pipeline, local threads (s)"),
            Figure("ray_s", "full pipeline, local Ray (s)"),
            Figure("ray_over_local", "Ray / local (Ray start-up is a fixed cost)"),
        ),
        ("--days", "4"),
    ),
    Script(
        "scale",
        (
            Figure("parse_pages_per_s_per_core", "parse pages/s per core", 500),
            Figure("train_10y_s", "features + train, largest world (s)", 300, False),
            Figure("peak_rss_gb", "peak RSS (GB)", 4, False),
        ),
        ("--years", "0.1", "0.3"),
    ),
)


def last_json_line(output: str) -> dict | None:
    for line in reversed(output.splitlines()):
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None


def run_script(script: Script, quick: bool) -> tuple[dict | None, str, float]:
    """Run one script, echoing its output; (its JSON figures or None, problem, seconds)."""
    command = [sys.executable, str(BENCH / f"{script.name}.py")]
    if quick:
        command += script.quick_args
    print(f"\n=== {script.name}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    lines: list[str] = []
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=BENCH.parent
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            lines.append(line)
    seconds = time.perf_counter() - started
    figures = last_json_line("".join(lines))
    if process.returncode != 0:
        return figures, f"exited {process.returncode}", seconds
    if figures is None:
        return None, "printed no JSON line", seconds
    return figures, "", seconds


def format_value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 10 else f"{value:,.1f}"
    return "-" if value is None else str(value)


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def summarize(results: dict[str, tuple[dict | None, str, float]]) -> tuple[str, bool]:
    """The summary table, and whether every script ran and every target was met."""
    rows = [["bench", "figure", "value", "target", "verdict"]]
    ok = True
    for script in SCRIPTS:
        if script.name not in results:
            continue
        figures, problem, seconds = results[script.name]
        if problem:
            ok = False
            rows.append([script.name, f"FAILED: {problem}", "", "", ""])
        for figure in script.figures:
            if figures is None:
                break
            value = figures.get(figure.key)
            verdict = figure.verdict(value)
            ok = ok and verdict != "MISSED"
            rows.append([
                script.name, figure.label, format_value(value), figure.target_text(), verdict
            ])  # fmt: skip
        rows.append([script.name, "bench wall time (s)", f"{seconds:.0f}", "-", ""])
    return table(rows), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    names = [script.name for script in SCRIPTS]
    parser.add_argument("--only", nargs="+", choices=names, help="run only these scripts")
    parser.add_argument("--quick", action="store_true", help="small settings: a smoke run")
    args = parser.parse_args(argv)
    chosen = [s for s in SCRIPTS if not args.only or s.name in args.only]
    results = {script.name: run_script(script, args.quick) for script in chosen}
    summary, ok = summarize(results)
    print("\n=== summary" + (" (--quick: smoke settings, not figures)" if args.quick else ""))
    print(summary)
    for name, (figures, _, _) in results.items():
        if figures is not None:
            print(f"{name}: {json.dumps(figures)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
