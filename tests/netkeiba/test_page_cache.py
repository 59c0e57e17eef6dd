"""PageCache: round trips, URL keys, and never a half-written page."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from forecast_keiba.netkeiba import page_cache as page_cache_module
from forecast_keiba.netkeiba.page_cache import PageCache, normalise_url, url_key

URL = "https://db.netkeiba.com/race/202305021211/"
PAGE = "<html><head><title>東京優駿</title></head><body>ダービー</body></html>"


def temp_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file() and p.suffix != ".page"]


def test_put_then_get_round_trips_bytes_and_metadata(tmp_path: Path) -> None:
    cache = PageCache(tmp_path)
    content = PAGE.encode("euc_jp")
    when = dt.datetime(2024, 5, 26, 7, 0, tzinfo=dt.UTC)
    cache.put(URL, content, status=200, charset="euc-jp", fetched_at=when)

    page = cache.get(URL)
    assert page is not None
    assert page.content == content
    assert (page.url, page.status, page.charset, page.fetched_at) == (URL, 200, "euc-jp", when)
    assert page.text == PAGE


def test_fetched_at_defaults_to_now_in_utc(tmp_path: Path) -> None:
    before = dt.datetime.now(dt.UTC)
    PageCache(tmp_path).put(URL, b"x", status=200, charset=None)
    page = PageCache(tmp_path).get(URL)  # a fresh instance: everything is on disk
    assert page is not None
    assert page.fetched_at.tzinfo is not None
    assert before <= page.fetched_at <= dt.datetime.now(dt.UTC)
    assert page.charset is None


def test_missing_url(tmp_path: Path) -> None:
    cache = PageCache(tmp_path / "not-yet-created")
    assert cache.get(URL) is None
    assert URL not in cache
    assert len(cache) == 0
    assert list(cache) == []


def test_layout_is_sharded_by_sha256_of_the_normalised_url(tmp_path: Path) -> None:
    cache = PageCache(tmp_path)
    stored = cache.put(URL, b"<html></html>", status=200, charset=None)
    key = url_key(URL)

    assert len(key) == 64
    assert stored.path == tmp_path / key[:2] / f"{key}.page"
    assert stored.path.read_bytes().startswith(b"FKPAGE1\n")
    assert stored.path.read_bytes().endswith(b"<html></html>")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("HTTPS://DB.NetKeiba.com/race/1/", "https://db.netkeiba.com/race/1/"),
        ("https://db.netkeiba.com:443/race/1/", "https://db.netkeiba.com/race/1/"),
        ("https://db.netkeiba.com/race/1/#payout", "https://db.netkeiba.com/race/1/"),
        ("http://h/r?race_id=1&rf=x", "http://h/r?rf=x&race_id=1"),
        ("http://h", "http://h/"),
    ],
)
def test_equivalent_urls_share_an_entry(tmp_path: Path, a: str, b: str) -> None:
    assert normalise_url(a) == normalise_url(b)
    cache = PageCache(tmp_path)
    cache.put(a, b"same", status=200, charset=None)
    assert b in cache
    got = cache.get(b)
    assert got is not None and got.content == b"same"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://db.netkeiba.com/race/1/", "https://db.netkeiba.com/race/2/"),
        ("http://db.netkeiba.com/race/1/", "https://db.netkeiba.com/race/1/"),
        ("http://h:8080/r", "http://h/r"),
        ("http://h/r?id=1&id=2", "http://h/r?id=2&id=1"),  # repeated names keep their order
        ("http://h/Race/", "http://h/race/"),  # paths are case-sensitive
    ],
)
def test_different_urls_do_not_collide(a: str, b: str) -> None:
    assert url_key(a) != url_key(b)


def test_len_iter_contains_and_overwrite(tmp_path: Path) -> None:
    cache = PageCache(tmp_path)
    urls = [f"https://db.netkeiba.com/race/2023050212{i:02d}/" for i in range(1, 13)]
    for url in urls:
        cache.put(url, url.encode(), status=200, charset=None)
    cache.put(urls[0], b"newer", status=200, charset=None)

    assert len(cache) == 12
    assert sorted(cache) == sorted(urls)
    assert all(url in cache for url in urls)
    newest = cache.get(urls[0])
    assert newest is not None and newest.content == b"newer"
    assert cache.discard(urls[0]) and not cache.discard(urls[0])
    assert len(cache) == 11 and urls[0] not in cache


def test_crash_before_rename_leaves_no_entry_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = PageCache(tmp_path)

    def crash(src: Any, dst: Any) -> None:
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(page_cache_module.os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        cache.put(URL, b"<html>" + b"x" * 100_000 + b"</html>", status=200, charset=None)

    assert URL not in cache
    assert cache.get(URL) is None
    assert len(cache) == 0
    assert temp_files(tmp_path) == []


def test_crash_mid_write_keeps_the_previous_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = PageCache(tmp_path)
    cache.put(URL, b"old complete page", status=200, charset=None)
    real_fdopen = os.fdopen

    class HalfWriter:
        """Writes half of what it is given to the real file, then dies."""

        def __init__(self, fh: Any) -> None:
            self._fh = fh

        def __enter__(self) -> HalfWriter:
            return self

        def __exit__(self, *exc: object) -> None:
            self._fh.close()

        def fileno(self) -> int:
            return self._fh.fileno()

        def write(self, data: bytes) -> int:
            self._fh.write(data[: len(data) // 2])
            self._fh.flush()
            raise OSError("simulated disk failure mid-write")

    monkeypatch.setattr(
        page_cache_module.os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd, mode))
    )
    with pytest.raises(OSError, match="mid-write"):
        cache.put(URL, b"new page " * 10_000, status=200, charset=None)

    page = cache.get(URL)
    assert page is not None and page.content == b"old complete page"
    assert temp_files(tmp_path) == []


def _write_then_hang(directory: str, url: str, started: Any) -> None:
    """Child process: write a page but get killed before the rename."""
    import time

    def hang(src: Any, dst: Any) -> None:
        started.set()
        time.sleep(60)

    page_cache_module.os.replace = hang  # type: ignore[assignment]
    PageCache(directory).put(url, b"<html>" + b"y" * 50_000, status=200, charset=None)


def test_process_killed_mid_put_leaves_nothing_readable(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    started = ctx.Event()
    child = ctx.Process(target=_write_then_hang, args=(str(tmp_path), URL, started))
    child.start()
    try:
        assert started.wait(timeout=60)
    finally:
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join(timeout=10)

    cache = PageCache(tmp_path)
    assert len(temp_files(tmp_path)) == 1  # the orphan is there, fully written even
    assert cache.get(URL) is None
    assert URL not in cache
    assert len(cache) == 0 and list(cache) == []
    cache.put(URL, b"<html>ok</html>", status=200, charset=None)  # and the key still works
    page = cache.get(URL)
    assert page is not None and page.content == b"<html>ok</html>"


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_file_damaged_outside_the_cache_is_never_returned(tmp_path: Path, damage: str) -> None:
    cache = PageCache(tmp_path)
    stored = cache.put(URL, b"<html>" + b"z" * 10_000 + b"</html>", status=200, charset=None)
    raw = stored.path.read_bytes()
    if damage == "truncate":
        stored.path.write_bytes(raw[:-100])
    else:
        stored.path.write_bytes(raw[:-50] + bytes([raw[-50] ^ 0xFF]) + raw[-49:])

    assert cache.get(URL) is None


def _hammer(directory: str, url: str, worker: int, rounds: int, barrier: Any) -> None:
    """Child process: put the same key many times with this worker's content."""
    cache = PageCache(directory)
    cache.put(url, _content_of(worker), status=200, charset=None)
    barrier.wait()
    for _ in range(rounds):
        cache.put(url, _content_of(worker), status=200, charset=None)


def _content_of(worker: int) -> bytes:
    # Different sizes, so a mix of two writers could never pass for one of them.
    return b"<html>" + bytes([65 + worker]) * (100_000 + 37_000 * worker) + b"</html>"


def test_concurrent_writers_in_several_processes_end_with_one_complete_entry(
    tmp_path: Path,
) -> None:
    workers, rounds = 4, 25
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(workers + 1)
    procs = [
        ctx.Process(target=_hammer, args=(str(tmp_path), URL, w, rounds, barrier))
        for w in range(workers)
    ]
    for p in procs:
        p.start()
    expected = {_content_of(w) for w in range(workers)}
    cache = PageCache(tmp_path)
    barrier.wait(timeout=120)
    reads = 0
    while True:  # read while they write (each wrote once before the barrier)
        page = cache.get(URL)
        assert page is not None
        assert page.content in expected
        reads += 1
        if not any(p.is_alive() for p in procs):
            break
    for p in procs:
        p.join(timeout=60)

    assert [p.exitcode for p in procs] == [0] * workers
    page = cache.get(URL)
    assert page is not None and page.content in expected
    assert len(cache) == 1 and list(cache) == [URL]
    assert temp_files(tmp_path) == []
    assert reads >= 1
