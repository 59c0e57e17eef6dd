"""``keiba-replica`` (or ``python -m netkeiba_replica``): serve a synthetic world as
netkeiba on loopback until Ctrl-C.

A command of its own, not a subcommand of ``keiba``: the app never imports the replica.
Also writes the world's ground truth (true win probabilities) with
``--export-truth PATH`` (``.parquet`` or CSV), with or without serving.
"""

from __future__ import annotations

import argparse
import datetime as dt
import threading
import time
from collections.abc import Sequence

from netkeiba_replica.faults import FaultConfig
from netkeiba_replica.server import ReplicaServer
from netkeiba_replica.world import World, WorldConfig


def build_parser() -> argparse.ArgumentParser:
    """The ``keiba-replica`` command line."""
    p = argparse.ArgumentParser(prog="keiba-replica", description=__doc__)
    p.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    p.add_argument("--port", type=int, default=8765, help="port (0 = any free port)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--start-date", type=dt.date.fromisoformat, default=WorldConfig.start_date)
    p.add_argument("--days", type=int, default=WorldConfig.n_days, help="racing days with results")
    p.add_argument("--races-per-day", type=int, default=WorldConfig.races_per_day)
    p.add_argument(
        "--upcoming-days",
        type=int,
        default=WorldConfig.upcoming_days,
        help="racing days with cards but no results",
    )
    p.add_argument("--error-rate", type=float, default=0.0, help="share of 500/503 responses")
    p.add_argument("--rate-429", type=float, default=0.0, help="share of 429 responses")
    p.add_argument("--retry-after", type=float, default=1.0, help="Retry-After of a 429, seconds")
    p.add_argument("--timeout-rate", type=float, default=0.0, help="share of slow responses")
    p.add_argument("--slow-s", type=float, default=5.0, help="delay of a slow response, seconds")
    p.add_argument("--truncate-rate", type=float, default=0.0, help="share of truncated bodies")
    p.add_argument("--fault-seed", type=int, default=0)
    p.add_argument("--export-truth", metavar="PATH", help="write the ground truth (.parquet/.csv)")
    p.add_argument("--no-serve", action="store_true", help="only build (and export), do not serve")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


def run(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    """Build the world, optionally export its truth, serve until Ctrl-C (or ``stop``)."""
    config = WorldConfig(
        seed=args.seed,
        start_date=args.start_date,
        n_days=args.days,
        races_per_day=args.races_per_day,
        upcoming_days=args.upcoming_days,
    )
    started = time.perf_counter()
    world = World(config)
    print(
        f"world: seed {config.seed}, {len(world.race_ids)} races on "
        f"{len(world.racing_days())} run + {len(world.upcoming_days())} upcoming days, "
        f"built in {time.perf_counter() - started:.1f}s; today = {world.today}",
        flush=True,
    )
    if args.export_truth:
        path = world.export_ground_truth(args.export_truth)
        print(f"ground truth: {path}", flush=True)
    if args.no_serve:
        return 0
    faults = FaultConfig(
        error_rate=args.error_rate,
        rate_429=args.rate_429,
        retry_after_s=args.retry_after,
        timeout_rate=args.timeout_rate,
        slow_s=args.slow_s,
        truncate_rate=args.truncate_rate,
        seed=args.fault_seed,
    )
    with ReplicaServer(world, host=args.host, port=args.port, faults=faults) as server:
        urls = server.urls
        print(f"serving on {server.base_url}", flush=True)
        last = world.racing_days()[-1] if world.racing_days() else world.today
        print(f"  db:   {urls.db_base}   e.g. {urls.day_list(last)}")
        print(f"  race: {urls.race_base} e.g. {urls.upcoming_list(world.today)}", flush=True)
        try:
            while not (stop and stop.is_set()):
                time.sleep(0.2)
        except KeyboardInterrupt:
            print("stopped", flush=True)
    return 0
