"""SIGKILL a process in the middle of saving: the file is always a whole version.

A child process saves two alternating versions of a large value in a loop
(:mod:`saver`); it is killed at a random moment (seeded), repeatedly, and the
target is loaded after each kill. With kedro_atomic the target is always one
complete version; the same kill on kedro-datasets' own JSONDataset leaves a
torn file, which shows the kills do land mid-write.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

SAVER = Path(__file__).with_name("saver.py")
ROWS = {"json": 150_000, "parquet": 1_000_000}


def _kill_mid_save(kind: str, target: Path, mode: str, delay: float) -> None:
    """Start the saver, wait for its first complete save, kill it ``delay`` s later."""
    child = subprocess.Popen(
        [sys.executable, str(SAVER), kind, str(target), mode],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline()  # blocks until one version is complete on disk
        assert first.startswith("saved"), f"saver died before its first save: {first!r}"
        time.sleep(delay)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()


def _version(kind: str, target: Path) -> int:
    """The version the file holds; raises if the file is torn or mixed."""
    if kind == "json":
        data = json.loads(target.read_text())
        rows = data["rows"]
        versions = {row[0] for row in rows}
        assert len(rows) == ROWS[kind] and versions == {data["version"]}
        return int(data["version"])
    frame = pd.read_parquet(target)
    assert len(frame) == ROWS[kind] and frame["i"].tolist() == list(range(ROWS[kind]))
    versions = set(frame["version"].unique())
    assert len(versions) == 1
    return int(versions.pop())


@pytest.mark.parametrize(("kind", "kills"), [("json", 5), ("parquet", 3)])
def test_a_killed_save_leaves_the_old_or_the_new_complete_file(
    tmp_path: Path, kind: str, kills: int
) -> None:
    rng = random.Random(20_26)
    target = tmp_path / f"value.{kind}"
    seen = set()
    for _ in range(kills):
        _kill_mid_save(kind, target, "atomic", delay=rng.uniform(0.0, 1.5))
        seen.add(_version(kind, target))  # complete, whichever it is
    assert seen <= {0, 1}
    # only the target and, at most, the temp file of the last killed writer remain
    leftovers = [p for p in tmp_path.iterdir() if p != target]
    assert all(p.name.startswith(f".{target.name}.") for p in leftovers), leftovers


def test_the_same_kills_tear_kedro_datasets_own_file(tmp_path: Path) -> None:
    """The control: without kedro_atomic a kill mid-save leaves a file that does not load."""
    rng = random.Random(20_26)
    target = tmp_path / "value.json"
    torn = 0
    for _ in range(3):
        _kill_mid_save("json", target, "plain", delay=rng.uniform(0.0, 1.5))
        try:
            _version("json", target)
        except (ValueError, AssertionError):
            torn += 1
    assert torn > 0
