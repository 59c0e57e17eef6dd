"""FileLock between processes: a second holder waits (naming the path and the
holder), gives up with an error naming both when told to, and a holder killed
with SIGKILL never leaves a lock behind."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kedro_atomic import FileLock, LockTimeout

HOLD = """
import sys, time
from kedro_atomic import FileLock
lock = FileLock(sys.argv[1], owner="test holder")
lock.acquire()
print("locked", flush=True)
sys.stdin.readline()  # hold until told (or killed)
lock.release()
print("released", flush=True)
"""


@contextmanager
def holder(path: Path) -> Iterator[subprocess.Popen]:
    """Another process holding the lock of ``path`` until its stdin gets a line."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None and child.stdout.readline() == "locked\n"
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()


def test_a_held_lock_times_out_naming_path_and_holder(tmp_path: Path) -> None:
    path = tmp_path / "data" / ".run.lock"
    with holder(path) as child:
        with pytest.raises(LockTimeout) as raised:
            FileLock(path, timeout_s=0.5, poll_s=0.05).acquire()
        message = str(raised.value)
        assert str(path) in message
        assert f"pid {child.pid}" in message and "(test holder)" in message


def test_a_waiter_logs_the_holder_then_gets_the_lock_once_released(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / ".run.lock"
    with holder(path) as child:
        assert child.stdin is not None
        lock = FileLock(path, owner="waiter", poll_s=0.05)
        with caplog.at_level(logging.WARNING, logger="kedro_atomic.lock"):
            release = threading.Timer(1.0, lambda: (child.stdin.write("go\n"), child.stdin.flush()))
            release.start()
            with lock:
                assert lock.held
                assert child.stdout is not None and child.stdout.readline() == "released\n"
                assert f"pid {child.pid}" not in FileLock(path).holder()  # ours now
                assert "(waiter)" in FileLock(path).holder()
            release.join()
    waits = [r.getMessage() for r in caplog.records if "waiting for the lock" in r.getMessage()]
    assert waits and str(path) in waits[0] and f"pid {child.pid}" in waits[0]
    assert not lock.held


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    path = tmp_path / ".run.lock"
    with holder(path) as child:
        child.send_signal(signal.SIGKILL)
        child.wait()
        with FileLock(path, timeout_s=30) as lock:  # the kernel released the dead pid's lock
            assert lock.held
    assert path.exists()  # never unlinked: a waiter on the old inode would race a new one


def test_two_locks_in_one_process_exclude_each_other(tmp_path: Path) -> None:
    path = tmp_path / ".run.lock"
    with FileLock(path), pytest.raises(LockTimeout):
        FileLock(path, timeout_s=0.2, poll_s=0.05).acquire()
