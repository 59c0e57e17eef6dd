"""An exclusive lock on a path, shared by processes: one writer of a data folder at a time.

Atomic files stop a reader from seeing half a file; they do not stop two runs
from doing the same work side by side (both fetch every page, both append the
same rows). Runs that write the same data take this lock first.

It is an ``flock`` on a lock file, so the kernel releases it when its holder
dies, however it dies (SIGKILL, OOM, a lost worker): a stale lock cannot block
the next run. The holder writes who it is (pid, host, since when, what it
runs) into the file, and a waiter names the path and that holder in its log
lines and in its error, so whoever reads "waiting" knows what to look at. The
file is never deleted: unlinking a lock file lets a third process lock a new
inode while a second one still waits on the old one.

POSIX only (``fcntl``); local file systems (``flock`` over NFS is not reliable).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import socket
import time
from pathlib import Path
from types import TracebackType
from typing import Self

log = logging.getLogger(__name__)


class LockTimeout(TimeoutError):
    """The lock stayed held by another process for longer than the caller would wait."""

    def __init__(self, path: Path, holder: str, waited_s: float) -> None:
        super().__init__(f"{path} is locked by {holder}; gave up after {waited_s:.0f} s")
        self.path = path
        self.holder = holder


class FileLock:
    """``with FileLock(path, owner="kedro run data_engineering"):`` … one holder at a time.

    ``timeout_s`` ``None`` waits as long as the holder lives; a number raises
    :class:`LockTimeout` after that long. While waiting, a line naming the path
    and the holder is logged at once and then every ``log_every_s``. Not
    re-entrant: a second ``acquire`` through another instance in the same
    process waits like any other process would.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        owner: str = "",
        timeout_s: float | None = None,
        poll_s: float = 0.2,
        log_every_s: float = 30.0,
    ) -> None:
        self.path = Path(path)
        self.owner = owner
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self.log_every_s = log_every_s
        self._fd: int | None = None

    def __repr__(self) -> str:
        return f"FileLock({str(self.path)!r})"

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this FileLock")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            self._wait(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(self._me()).encode(), 0)
        log.info("locked %s", self.path)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)  # no stale holder description for the next reader
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        log.info("released %s", self.path)

    def holder(self) -> str:
        """Who holds the lock, as written by the holder ("unknown" before it wrote)."""
        try:
            info = json.loads(self.path.read_text() or "null")
        except (OSError, ValueError):
            info = None
        if not isinstance(info, dict):
            return "an unknown process"
        what = f" ({info['owner']})" if info.get("owner") else ""
        return f"pid {info.get('pid')} on {info.get('host')} since {info.get('since')}{what}"

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def _wait(self, fd: int) -> None:
        start = time.monotonic()
        next_log = start
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            now = time.monotonic()
            if self.timeout_s is not None and now - start >= self.timeout_s:
                raise LockTimeout(self.path, self.holder(), now - start)
            if now >= next_log:
                log.warning(
                    "waiting for the lock %s, held by %s", self.path, self.holder(),
                    extra={"lock_path": str(self.path)},
                )  # fmt: skip
                next_log = now + self.log_every_s
            time.sleep(self.poll_s)

    def _me(self) -> dict[str, object]:
        return {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "owner": self.owner,
        }
