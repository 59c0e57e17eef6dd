"""Two scrapes of one data folder started together, bypassing any deployment
(two `kedro run`s): the run lock makes one wait for the other, naming the lock
and its holder; no page is fetched or stored twice, no row is duplicated, and
every file the runs left parses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from forecast_keiba.console.demo import format_params
from forecast_keiba.netkeiba.model import RaceResultPage
from forecast_keiba.netkeiba.page_cache import PageCache
from forecast_keiba.netkeiba.parsing import parse_page
from netkeiba_replica.server import ReplicaServer
from netkeiba_replica.world import World, WorldConfig
from tests.support import KEDRO_PROJECT, make_conf


@pytest.fixture(scope="module")
def world() -> World:
    return World(WorldConfig(seed=8, n_days=4, races_per_day=8, upcoming_days=1))


def start_nightly(conf: Path, server: ReplicaServer, world: World) -> subprocess.Popen:
    params = {
        "source.db_base_url": server.urls.db_base,
        "source.race_base_url": server.urls.race_base,
        "scraping.start_date": world.racing_days()[0].isoformat(),
        "scraping.end_date": "null",
        "scraping.as_of": world.today.isoformat(),
        "client.min_interval_s": 0.1,  # a scrape of some seconds: the runs surely overlap
    }
    return subprocess.Popen(
        [sys.executable, "-m", "kedro", "run", "--pipeline", "data_engineering",
         "--conf-source", str(conf), "--params", format_params(params)],
        cwd=KEDRO_PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "250"},
    )  # fmt: skip


def test_two_runs_started_together_wait_for_each_other(tmp_path: Path, world: World) -> None:
    conf = make_conf(tmp_path)
    data = tmp_path / "data"
    lock = data / ".run.lock"
    with ReplicaServer(world) as server:
        runs = [start_nightly(conf, server, world) for _ in range(2)]
        outputs = [run.communicate(timeout=600)[0] for run in runs]
        for run, output in zip(runs, outputs, strict=True):
            assert run.returncode == 0, output[-3000:]
        counts = server.fetch_counts()

    waited = [i for i, out in enumerate(outputs) if "waiting for the lock" in out]
    assert len(waited) == 1, "the runs did not overlap (or both waited)"
    waiter, holder = waited[0], 1 - waited[0]
    assert str(lock) in outputs[waiter] and f"pid {runs[holder].pid}" in outputs[waiter]

    assert counts and max(counts.values()) == 1, counts.most_common(3)  # nothing fetched twice
    index = json.loads((data / "01_raw" / "race_index.json").read_text())
    assert index["races"] == []  # the second run found everything stored

    expected = sorted(world.run_race_ids())
    ledger = {p.stem: json.loads(p.read_text()) for p in (data / "01_raw" / "race_days").iterdir()}
    assert sorted(rid for ids in ledger.values() for rid in ids) == expected
    for day, ids in ledger.items():
        assert sorted(ids) == sorted(world.race_ids_on(pd.Timestamp(day).date()))

    pages = sorted((data / "01_raw" / "result_pages").iterdir())
    assert [p.stem for p in pages] == expected  # no temp file left, nothing else
    for page in pages:
        assert isinstance(parse_page(page.read_text(), source=str(page)), RaceResultPage)
    cache = PageCache(data / "01_raw" / "http_cache")
    assert all(cache.get(url) is not None for url in cache)
    races = pd.read_parquet(data / "02_intermediate" / "races.parquet")
    entries = pd.read_parquet(data / "02_intermediate" / "entries.parquet")
    assert sorted(races["race_id"]) == expected
    assert not entries.duplicated(["race_id", "horse_number"]).any()
    assert not list(data.rglob("*.tmp"))
