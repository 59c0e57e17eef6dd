"""Incremental scraping with `kedro run` against the replica: night after night
only the days since the last stored one are read, no page is fetched twice, no
race is stored twice; bad parameters fail before any request."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from forecast_keiba.console.demo import format_params
from netkeiba_replica.server import ReplicaServer
from netkeiba_replica.world import World, WorldConfig
from tests.support import KEDRO_PROJECT, make_conf


@pytest.fixture(scope="module")
def world() -> World:
    return World(WorldConfig(seed=3, n_days=4, races_per_day=6, upcoming_days=1))


def nightly(conf: Path, server: ReplicaServer, world: World, as_of: dt.date, *extra: str):
    params = {
        "source.db_base_url": server.urls.db_base,
        "source.race_base_url": server.urls.race_base,
        "scraping.start_date": world.racing_days()[0].isoformat(),
        "scraping.end_date": "null",
        "scraping.as_of": as_of.isoformat(),
    }
    return subprocess.run(
        [sys.executable, "-m", "kedro", "run", "--pipeline", "data_engineering",
         "--conf-source", str(conf), "--params", format_params(params), *extra],
        cwd=KEDRO_PROJECT, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_nights_fetch_each_page_once_and_store_each_race_once(tmp_path: Path, world: World) -> None:
    conf = make_conf(tmp_path)
    data = tmp_path / "data"
    first_weekend_over = world.racing_days()[1] + dt.timedelta(days=1)
    with ReplicaServer(world) as server:
        night1 = nightly(conf, server, world, as_of=first_weekend_over)
        assert night1.returncode == 0, night1.stderr[-3000:]
        first_pages = {p.stem for p in (data / "01_raw" / "result_pages").glob("*.html")}
        assert first_pages == {
            rid for day in world.racing_days()[:2] for rid in world.race_ids_on(day)
        }

        night2 = nightly(conf, server, world, as_of=world.today)
        assert night2.returncode == 0, night2.stderr[-3000:]
        read = json.loads((data / "01_raw" / "race_index.json").read_text())["days"]
        assert min(read) == first_weekend_over.isoformat()  # after night 1's last day
        requests_after_night2 = len(server.request_log)
        again = nightly(conf, server, world, as_of=world.today)  # right after: nothing new
        assert again.returncode == 0, again.stderr[-3000:]

        assert len(server.request_log) == requests_after_night2
        counts = server.fetch_counts()
        assert counts and max(counts.values()) == 1, counts.most_common(3)

    races = pd.read_parquet(data / "02_intermediate" / "races.parquet")
    entries = pd.read_parquet(data / "02_intermediate" / "entries.parquet")
    assert sorted(races["race_id"]) == sorted(world.run_race_ids())
    assert not races["race_id"].duplicated().any()
    assert not entries.duplicated(["race_id", "horse_number"]).any()
    ledger = sorted(p.stem for p in (data / "01_raw" / "race_days").glob("*.json"))
    assert ledger[0] == world.racing_days()[0].isoformat()
    assert ledger[-1] == (world.today - dt.timedelta(days=1)).isoformat()


def test_bad_prediction_parameters_fail_before_any_request(tmp_path: Path, world: World) -> None:
    conf = make_conf(tmp_path)
    with ReplicaServer(world) as server:
        params = {
            "source.db_base_url": server.urls.db_base,
            "source.race_base_url": server.urls.race_base,
            "prediction.race_id": "2023-06-01",
        }
        result = subprocess.run(
            [sys.executable, "-m", "kedro", "run", "--conf-source", str(conf),
             "--params", format_params(params)],
            cwd=KEDRO_PROJECT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode != 0
        assert "prediction.race_id: invalid race id '2023-06-01'" in result.stderr
        assert server.request_log == []
