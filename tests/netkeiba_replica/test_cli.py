"""``keiba-replica``: argument wiring, truth export, serving until stopped."""

from __future__ import annotations

import threading

import httpx
import pandas as pd

from netkeiba_replica import cli
from tests.support import listening_addresses


def test_export_truth_without_serving(tmp_path, capsys) -> None:
    path = tmp_path / "truth.parquet"
    args = cli.build_parser().parse_args(
        [
            "--days",
            "2",
            "--races-per-day",
            "12",
            "--seed",
            "3",
            "--upcoming-days",
            "1",
            "--export-truth",
            str(path),
            "--no-serve",
        ]
    )
    assert cli.run(args) == 0
    truth = pd.read_parquet(path)
    assert truth["race_id"].nunique() == 3 * 12
    assert "ground truth" in capsys.readouterr().out


def test_serves_until_stopped_and_prints_urls(capsys) -> None:
    args = cli.build_parser().parse_args(
        ["--port", "0", "--days", "1", "--races-per-day", "12", "--error-rate", "0.0"]
    )
    stop = threading.Event()
    thread = threading.Thread(target=cli.run, args=(args, stop))
    thread.start()
    try:
        out = ""
        for _ in range(200):
            out += capsys.readouterr().out
            if "race:" in out:
                break
            stop.wait(0.05)
        base = next(line.split()[-1] for line in out.splitlines() if line.startswith("serving on"))
        assert base.startswith("http://127.0.0.1:")
        port = int(base.removeprefix("http://127.0.0.1:").split("/")[0])
        assert listening_addresses(port) == {"127.0.0.1"}  # no --host: loopback only
        day_list = next(
            w
            for line in out.splitlines()
            if "db:" in line
            for w in line.split()
            if "/race/list/" in w
        )
        assert httpx.get(day_list).status_code == 200
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
