"""A nightly scrape through the Prefect bridge against a replica that fails half
its requests, with the fault mix of ``conf/faults`` (30% 5xx, 10% 429 with
Retry-After, 5% held past the client's timeout, 5% bodies cut short):

* the run completes, and what it stored and parsed equals the fault-free world
  (pages byte for byte, tables equal to the tables of the world's own pages);
* no stored or cached page is truncated, nothing was quarantined;
* every page was received whole exactly once and stored once (the server's log,
  the client's store counter in the node's Prefect artifact), and the next night
  rewrites nothing (same inode and mtime for every file of the raw store);
* the retries show in Prefect: the client's retry lines under the node's task
  run, and the node's summary artifact counts them by cause.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import pytest
import yaml
from kedro.config import OmegaConfigLoader
from prefect.logging.handlers import APILogHandler

from forecast_keiba.console.demo import format_params
from forecast_keiba.data.tables import tables_from_pages
from forecast_keiba.netkeiba.decode import decode_html
from forecast_keiba.netkeiba.page_cache import PageCache
from forecast_keiba.netkeiba.parsing import parse_page, truncation
from kedro_prefect import kedro_flow
from kedro_prefect.cli import parse_params
from kedro_prefect.local_server import api
from netkeiba_replica.faults import FaultConfig
from netkeiba_replica.server import ReplicaServer
from netkeiba_replica.world import World, WorldConfig
from tests.support import KEDRO_PROJECT, make_conf

FAULTS_ENV = "faults"


@pytest.fixture(scope="module")
def world() -> World:
    return World(WorldConfig(seed=13, n_days=4, races_per_day=6, upcoming_days=1))


def fault_mix(conf: Path) -> FaultConfig:
    """The fault mix as the project's conf declares it (conf/faults), not a test constant."""
    loader = OmegaConfigLoader(str(conf), base_env="base", default_run_env=FAULTS_ENV,
                               merge_strategy={"parameters": "soft"})  # fmt: skip
    return FaultConfig(**loader["parameters"]["source"]["embedded_replica"]["faults"])


def faults_conf(tmp_path: Path, world: World, **orchestration: Any) -> tuple[Path, Path]:
    """(conf, data folder): the project's conf in tmp, its ``faults`` env's data in tmp
    too, its own Prefect cache records, and ``orchestration`` keys over prefect.yml's."""
    conf = make_conf(tmp_path, world.config)
    path = conf / "base" / "prefect.yml"
    settings = yaml.safe_load(path.read_text())
    settings["state_dir"] = str(tmp_path / "cache_records")  # this test's own
    path.write_text(yaml.safe_dump({**settings, **orchestration}))
    data = tmp_path / "data" / "faults"  # conf/faults keeps its data apart: here, in tmp
    (conf / FAULTS_ENV / "globals.yml").write_text(yaml.safe_dump({"data_root": str(data)}))
    return conf, data


def nightly(conf: Path, server: ReplicaServer, world: World, **extra: object):
    params = parse_params(format_params({
        "source.db_base_url": server.urls.db_base,
        "source.race_base_url": server.urls.race_base,
        "scraping.start_date": world.racing_days()[0].isoformat(),
        "scraping.as_of": world.today.isoformat(),
        **extra,
    }))  # fmt: skip
    params["scraping"]["end_date"] = None  # open-ended, as the nightly deployment runs
    return kedro_flow(
        pipeline="data_engineering", env=FAULTS_ENV, params=params,
        project_path=str(KEDRO_PROJECT), conf_source=str(conf), return_state=True,
    )  # fmt: skip


def raw_store_files(data: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime) of every file a scrape stores; race_index.json is rewritten by design."""
    raw = data / "01_raw"
    return {
        str(p.relative_to(raw)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in raw.rglob("*")
        if p.is_file() and p.name != "race_index.json"
    }


def task_run(prefect_api: str, flow_run_id: object, name: str) -> dict[str, Any]:
    runs = api(prefect_api, "task_runs/filter", {
        "flow_runs": {"id": {"any_": [str(flow_run_id)]}}, "limit": 50,
    })  # fmt: skip
    return next(r for r in runs if r["name"] == name)


def test_nightly_under_faults_stores_every_page_once_and_parses_it_right(
    tmp_path: Path, world: World, prefect_api: str
) -> None:
    conf, data = faults_conf(tmp_path, world)
    faults = fault_mix(conf)
    assert (faults.error_rate, faults.rate_429, faults.timeout_rate, faults.truncate_rate) == (
        0.30, 0.10, 0.05, 0.05)  # fmt: skip

    with ReplicaServer(world, faults=faults) as server:
        state = nightly(conf, server, world)
        assert state.is_completed(), state.message
        log, fault_log = server.request_log, server.fault_log
        before = raw_store_files(data)

        second = nightly(conf, server, world)  # the next night: nothing new
        assert second.is_completed(), second.message
        assert server.request_log == log  # not one request
        assert raw_store_files(data) == before  # not one file rewritten
        result_path = {
            rid: urlsplit(server.urls.race_result(rid)).path for rid in world.run_race_ids()
        }
        served = {
            rid: decode_html(server.page(path)[1], "EUC-JP") for rid, path in result_path.items()
        }

    # The faults did happen, every kind of them.
    kinds = Counter(kind for _, kind in fault_log)
    assert set(kinds) == {"error", "rate_limit", "slow", "truncate"}, kinds
    assert sum(kinds.values()) > len(log) / 3

    # Every result page reached the client whole exactly once: its 200s minus the
    # bodies cut short and the ones held until the client had given up.
    complete = Counter(path for path, status in log if status == 200)
    complete.subtract(path for path, kind in fault_log if kind in ("truncate", "slow"))
    assert {rid: complete[path] for rid, path in result_path.items()} == dict.fromkeys(
        result_path, 1
    )

    # Stored: each race once, byte for byte the world's page, none cut short.
    pages = {p.stem: p for p in (data / "01_raw" / "result_pages").iterdir()}
    assert sorted(pages) == sorted(world.run_race_ids())  # no temp file, nothing else
    for rid, path in pages.items():
        text = path.read_text(encoding="utf-8")
        assert truncation(text) is None, path
        assert text == served[rid], f"{path} differs from the page the world serves"
    cache = PageCache(data / "01_raw" / "http_cache")
    cached = list(cache)
    assert len(cached) == len(set(cached))
    for url in cached:
        entry = cache.get(url)
        assert entry is not None and truncation(entry.text) is None, url
    assert {urlsplit(u).path for u in cached} >= set(result_path.values())

    # Parsed: the tables of the faulty night equal the tables of the world's own pages,
    # and the runners are the ground truth's.
    truth = tables_from_pages(
        (rid, lambda rid=rid: parse_page(served[rid], source=rid)) for rid in sorted(served)
    )
    for name in ("races", "entries", "payouts"):
        got = pd.read_parquet(data / "02_intermediate" / f"{name}.parquet")
        pd.testing.assert_frame_equal(got, getattr(truth, name).reset_index(drop=True),
                                      check_dtype=False)  # fmt: skip
    assert pd.read_parquet(data / "02_intermediate" / "parse_failures.parquet").empty
    runners = world.ground_truth()
    runners = runners[~runners["upcoming"]]
    entries = pd.read_parquet(data / "02_intermediate" / "entries.parquet")
    assert set(zip(entries["race_id"], entries["horse_number"], strict=True)) == set(
        zip(runners["race_id"], runners["horse_number"], strict=True)
    )

    # Visible in Prefect: the retry lines under the node's task run, and its figures.
    fetch = task_run(prefect_api, state.state_details.flow_run_id, "fetch_result_pages")
    APILogHandler().flush()
    logs = api(prefect_api, "logs/filter", {
        "logs": {"task_run_id": {"any_": [fetch["id"]]}}, "limit": 200, "offset": 0,
    })  # fmt: skip
    retry_lines = [entry["message"] for entry in logs if entry["message"].startswith("retrying")]
    for cause in ("HTTP 429", "HTTP 50", "Timeout", "truncated"):
        assert any(cause in line for line in retry_lines), f"no retry line for {cause}"
    artifacts = api(prefect_api, "artifacts/filter", {
        "artifacts": {"task_run_id": {"any_": [fetch["id"]]}}, "limit": 20, "offset": 0,
    })  # fmt: skip
    summary = next(a for a in artifacts if a["key"] == "summary-fetch-result-pages-result-pages")
    figures = {row["figure"]: row["value"] for row in json.loads(summary["data"])}
    races = len(world.run_race_ids())
    assert figures["pages_to_store"] == figures["pages_cached_as_final"] == races
    assert figures["failures"] == 0
    assert figures["retries"] == sum(v for k, v in figures.items() if k.startswith("retries.")) > 0
    assert {"retries.rate_limited", "retries.server_error", "retries.timeout"} <= set(figures)


def test_a_node_that_fails_outright_is_retried_by_prefect_and_completes(
    tmp_path: Path, world: World, prefect_api: str
) -> None:
    """Too few client attempts for this fault rate (3: one page in eight gives up): a
    scraping node fails outright, Prefect retries its task (the scraping tag's
    retries in prefect.yml), pages cached by the failed attempt are not fetched
    again, and the night completes with every page right."""
    quick_retries = {"tags": {"scraping": {"retries": 3, "retry_delay_seconds": 1}}}
    conf, data = faults_conf(tmp_path, world, **quick_retries)
    with ReplicaServer(world, faults=fault_mix(conf)) as server:
        state = nightly(conf, server, world, **{"client.max_attempts": 3})
        assert state.is_completed(), state.message
        log, fault_log = server.request_log, server.fault_log
        paths = {rid: urlsplit(server.urls.race_result(rid)).path for rid in world.run_race_ids()}
        served = {rid: decode_html(server.page(path)[1], "EUC-JP") for rid, path in paths.items()}

    flow_run_id = state.state_details.flow_run_id
    fetch = task_run(prefect_api, flow_run_id, "fetch_result_pages")
    assert fetch["run_count"] > 1, "the node never failed: the test proves nothing"
    assert fetch["state"]["name"] == "Completed"
    history = api(prefect_api, f"task_run_states/?task_run_id={fetch['id']}")
    assert "Retrying" in {entry["name"] for entry in history}

    complete = Counter(path for path, status in log if status == 200)
    complete.subtract(path for path, kind in fault_log if kind in ("truncate", "slow"))
    assert {rid: complete[path] for rid, path in paths.items()} == dict.fromkeys(paths, 1)
    pages = {
        p.stem: p.read_text(encoding="utf-8") for p in (data / "01_raw" / "result_pages").iterdir()
    }
    assert pages == served
