"""NetkeibaClient against a real HTTP server on 127.0.0.1.

Timing assertions are lower bounds measured on the server (a request cannot
arrive before the client sent it), so they hold on any machine however slow.
"""

from __future__ import annotations

import email.utils
import itertools
import logging
import random
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from scripted_server import Reply, ScriptedServer

from forecast_keiba import __version__
from forecast_keiba.netkeiba.client import (
    RETRY_CAUSES,
    ClientConfig,
    NetkeibaClient,
    parse_retry_after,
    require_html_end,
)
from forecast_keiba.netkeiba.errors import FetchError
from forecast_keiba.netkeiba.page_cache import PageCache

CONTACT = "mailto:keiba-tests@example.invalid"
FULL_PAGE = b"<html><head><title>t</title></head><body>" + b"x" * 5000 + b"</body></html>"


def config(**overrides: Any) -> ClientConfig:
    """Fast settings for tests: no spacing unless asked, tiny backoff."""
    values: dict[str, Any] = {
        "contact": CONTACT,
        "min_interval_s": 0.0,
        "connect_timeout_s": 2.0,
        "read_timeout_s": 5.0,
        "max_attempts": 4,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        "retry_after_max_s": 5.0,
    }
    values.update(overrides)
    return ClientConfig(**values)


class FakeTime:
    """A clock that only moves when slept on; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as srv:
        yield srv


@pytest.fixture
def client() -> Iterator[NetkeibaClient]:
    with NetkeibaClient(config()) as c:
        yield c


# -- retries ---------------------------------------------------------------------------


def test_retries_5xx_then_succeeds_and_counts_attempts(
    server: ScriptedServer, client: NetkeibaClient, caplog: pytest.LogCaptureFixture
) -> None:
    url = server.script("/flaky", [Reply(503), Reply(502), Reply(body=FULL_PAGE)])
    with caplog.at_level(logging.INFO, logger="forecast_keiba.netkeiba.client"):
        page = client.fetch(url)

    assert page.status_code == 200
    assert page.content == FULL_PAGE
    assert page.attempts == 3
    assert not page.from_cache
    assert server.count("/flaky") == 3
    stats = client.stats
    assert (stats.requests, stats.retries, stats.failures) == (3, 2, 0)
    assert stats.bytes_downloaded >= len(FULL_PAGE)
    retries = [r for r in caplog.records if r.getMessage().startswith("retrying")]
    assert len(retries) == 2
    assert all(r.levelno >= logging.INFO and url in r.getMessage() for r in retries)
    assert "503" in retries[0].getMessage() and "502" in retries[1].getMessage()
    assert [r.status_code for r in retries] == [503, 502]  # type: ignore[attr-defined]
    assert all(r.delay_s >= 0 for r in retries)  # type: ignore[attr-defined]


def test_gives_up_after_max_attempts_naming_url_status_and_attempts(
    server: ScriptedServer,
) -> None:
    url = server.script("/down", Reply(503))
    with NetkeibaClient(config(max_attempts=3)) as client, pytest.raises(FetchError) as info:
        client.fetch(url)

    err = info.value
    assert err.url == url
    assert err.status_code == 503
    assert url in str(err)
    assert "3 attempts" in str(err)
    assert "503" in str(err)
    assert server.count("/down") == 3
    assert client.stats.failures == 1


@pytest.mark.parametrize("status", [404, 403, 410])
def test_non_retryable_4xx_raises_at_once(
    server: ScriptedServer, client: NetkeibaClient, status: int
) -> None:
    url = server.script("/gone", [Reply(status), Reply(200)])
    with pytest.raises(FetchError) as info:
        client.fetch(url)

    assert info.value.status_code == status
    assert info.value.url == url
    assert server.count("/gone") == 1
    assert client.stats.retries == 0


def test_read_timeout_is_retried(server: ScriptedServer) -> None:
    url = server.script("/slow", [Reply(delay_s=1.5), Reply(body=FULL_PAGE)])
    with NetkeibaClient(config(read_timeout_s=0.3)) as client:
        page = client.fetch(url)

    assert page.attempts == 2
    assert page.content == FULL_PAGE
    assert server.count("/slow") == 2


def test_read_timeout_every_time_gives_up(server: ScriptedServer) -> None:
    url = server.script("/stuck", Reply(delay_s=1.0))
    client = NetkeibaClient(config(read_timeout_s=0.2, max_attempts=2))
    with client, pytest.raises(FetchError) as info:
        client.fetch(url)

    assert "Timeout" in str(info.value)
    assert "2 attempts" in str(info.value)
    assert info.value.status_code is None
    assert server.count("/stuck") == 2


def test_connection_refused_is_retried_then_fails() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/nothing"
    with NetkeibaClient(config(max_attempts=3)) as client, pytest.raises(FetchError) as info:
        client.fetch(url)

    assert info.value.url == url
    assert "ConnectError" in str(info.value)
    assert "3 attempts" in str(info.value)
    assert client.stats.requests == 3
    assert client.stats.retries == 2


def test_body_cut_below_content_length_is_retried(
    server: ScriptedServer, client: NetkeibaClient
) -> None:
    url = server.script("/cut", [Reply(body=FULL_PAGE, truncate_to=1000), Reply(body=FULL_PAGE)])
    page = client.fetch(url)

    assert page.attempts == 2
    assert page.content == FULL_PAGE
    assert server.count("/cut") == 2


def test_short_body_handed_over_silently_is_still_detected() -> None:
    """A buffering transport or proxy may return a short body without an error."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, headers={"Content-Length": "5000"}, content=b"<html>cut")

    client = NetkeibaClient(config(max_attempts=2), transport=httpx.MockTransport(handler))
    with client, pytest.raises(FetchError) as info:
        client.fetch("http://db.example.invalid/race/1/")

    assert calls == 2
    assert "shorter than its Content-Length" in str(info.value)
    assert info.value.status_code == 200


def test_full_jitter_backoff_stays_under_the_exponential_cap(server: ScriptedServer) -> None:
    url = server.script("/down", Reply(500))
    fake = FakeTime()
    cfg = config(max_attempts=6, backoff_base_s=1.0, backoff_max_s=4.0)
    client = NetkeibaClient(cfg, clock=fake.clock, sleep=fake.sleep, rng=random.Random(7))
    with client, pytest.raises(FetchError):
        client.fetch(url)

    assert server.count("/down") == 6
    caps = [1.0, 2.0, 4.0, 4.0, 4.0]
    assert len(fake.sleeps) == len(caps)
    assert all(0.0 <= d <= cap for d, cap in zip(fake.sleeps, caps, strict=True))
    assert len(set(fake.sleeps)) == len(caps)  # jittered, not a fixed schedule


# -- Retry-After -----------------------------------------------------------------------


def test_retry_after_seconds_is_honoured(server: ScriptedServer, client: NetkeibaClient) -> None:
    url = server.script("/busy", [Reply(429, headers={"Retry-After": "1"}), Reply()])
    page = client.fetch(url)

    first, second = server.seen_for("/busy")
    assert page.attempts == 2
    assert first.responded is not None
    assert second.arrived - first.responded >= 1.0


def test_retry_after_http_date_is_honoured(server: ScriptedServer, client: NetkeibaClient) -> None:
    def in_two_seconds() -> str:
        return email.utils.formatdate(time.time() + 2, usegmt=True)

    url = server.script("/later", [Reply(503, headers={"Retry-After": in_two_seconds}), Reply()])
    page = client.fetch(url)

    first, second = server.seen_for("/later")
    not_before = email.utils.parsedate_to_datetime(first.sent_headers["Retry-After"]).timestamp()
    assert page.attempts == 2
    # 10 ms of slack for the wall clock being slewed against the monotonic one.
    assert second.arrived_wall >= not_before - 0.01


def test_retry_after_is_capped(server: ScriptedServer) -> None:
    url = server.script("/ban", [Reply(429, headers={"Retry-After": "3600"}), Reply()])
    fake = FakeTime()
    cfg = config(retry_after_max_s=0.5)
    with NetkeibaClient(cfg, clock=fake.clock, sleep=fake.sleep) as client:
        page = client.fetch(url)

    assert page.attempts == 2
    assert fake.sleeps and max(fake.sleeps) == pytest.approx(0.5)
    assert sum(fake.sleeps) == pytest.approx(0.5)


def test_retry_after_holds_back_other_threads_on_that_host(server: ScriptedServer) -> None:
    busy = server.script("/busy", [Reply(429, headers={"Retry-After": "1"}), Reply()])
    other = server.script("/other", Reply())
    with NetkeibaClient(config()) as client:
        worker = threading.Thread(target=client.fetch, args=(busy,))
        worker.start()
        assert server.wait_for(lambda seen: any(s.responded for s in seen))
        client.fetch(other)
        worker.join(timeout=10)

    (first_busy, *_), (other_seen,) = server.seen_for("/busy"), server.seen_for("/other")
    assert first_busy.responded is not None
    # From the 429's arrival (the server stamps "responded" after writing, so the
    # client can hold the reply a few ms before that stamp): at least Retry-After.
    assert other_seen.arrived - first_busy.arrived >= 1.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # in the past: go now
        ("soon", None),
        ("", None),
    ],
)
def test_parse_retry_after(value: str, expected: float | None) -> None:
    now = email.utils.parsedate_to_datetime("Wed, 21 Oct 2015 07:27:30 GMT").timestamp()
    assert parse_retry_after(value, now=now) == expected


# -- politeness ------------------------------------------------------------------------


def test_min_interval_between_requests_to_one_host_across_threads(
    server: ScriptedServer,
) -> None:
    interval = 0.25
    urls = [server.script(f"/p{i}", Reply()) for i in range(8)]
    with NetkeibaClient(config(min_interval_s=interval)) as client:
        threads = [
            threading.Thread(target=lambda pair=urls[i::4]: [client.fetch(u) for u in pair])
            for i in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)

    arrivals = sorted(s.arrived for s in server.seen)
    assert len(arrivals) == 8
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) >= interval


def test_spacing_uses_the_injected_clock(server: ScriptedServer) -> None:
    url = server.script("/page", Reply())
    fake = FakeTime()
    with NetkeibaClient(config(min_interval_s=1.5), clock=fake.clock, sleep=fake.sleep) as c:
        c.fetch(url)
        c.fetch(url)
        c.fetch(url)

    assert fake.sleeps == [pytest.approx(1.5), pytest.approx(1.5)]
    assert server.count("/page") == 3


def test_different_hosts_are_not_serialised(server: ScriptedServer) -> None:
    """127.0.0.1 and localhost are two hosts to the client (one server here).

    While a thread waits out the interval for 127.0.0.1, a fetch from
    localhost must go through first.
    """
    server.script("/a1", Reply())
    server.script("/a2", Reply())
    server.script("/b", Reply())
    waiting = threading.Event()

    def sleep(seconds: float) -> None:
        waiting.set()
        time.sleep(seconds)

    with NetkeibaClient(config(min_interval_s=2.5), sleep=sleep) as client:
        client.fetch(server.url("/a1"))
        worker = threading.Thread(target=client.fetch, args=(server.url("/a2"),))
        worker.start()
        assert waiting.wait(timeout=10)  # the worker is sleeping out 127.0.0.1's interval
        client.fetch(server.url("/b", host="localhost"))
        seen_when_b_returned = [s.path for s in server.seen]
        worker.join(timeout=10)

    assert seen_when_b_returned == ["/a1", "/b"]
    assert [s.path for s in server.seen] == ["/a1", "/b", "/a2"]
    assert server.seen_for("/b")[0].host.startswith("localhost:")


def test_user_agent_is_honest(server: ScriptedServer, client: NetkeibaClient) -> None:
    client.fetch(server.script("/ua", Reply()))

    (seen,) = server.seen_for("/ua")
    assert seen.headers["User-Agent"] == f"forecast-keiba/{__version__} (+{CONTACT})"


# -- cache -----------------------------------------------------------------------------


def test_final_page_is_fetched_once(server: ScriptedServer, tmp_path: Path) -> None:
    url = server.script("/race/202305021211/", Reply(body=FULL_PAGE))
    with NetkeibaClient(config(), cache=PageCache(tmp_path)) as client:
        first = client.fetch(url, final=True)
        second = client.fetch(url, final=True)

    assert server.count("/race/202305021211/") == 1
    assert not first.from_cache and first.attempts == 1
    assert second.from_cache and second.attempts == 0
    assert second.content == first.content == FULL_PAGE
    assert second.text == first.text
    assert client.stats.cache_hits == 1
    assert client.stats.requests == 1


def test_non_final_page_is_fetched_every_time(server: ScriptedServer, tmp_path: Path) -> None:
    url = server.script("/race/shutuba.html?race_id=202305021211", Reply())
    cache = PageCache(tmp_path)
    with NetkeibaClient(config(), cache=cache) as client:
        pages = [client.fetch(url), client.fetch(url)]

    assert server.count("/race/shutuba.html?race_id=202305021211") == 2
    assert not any(p.from_cache for p in pages)
    assert len(cache) == 0


def test_final_predicate_decides_from_the_text(server: ScriptedServer, tmp_path: Path) -> None:
    """A result page fetched before the race ran is a card; only the real result sticks."""
    card = b"<html><body>card</body></html>"
    result = b"<html><body>result</body></html>"
    url = server.script("/result", [Reply(body=card), Reply(body=result), Reply(body=b"late")])
    with NetkeibaClient(config(), cache=PageCache(tmp_path)) as client:
        texts = [client.fetch(url, final=lambda t: "result" in t).text for _ in range(3)]

    assert server.count("/result") == 2
    assert texts == [card.decode(), result.decode(), result.decode()]


def test_cache_dir_in_config_enables_the_cache(server: ScriptedServer, tmp_path: Path) -> None:
    url = server.script("/final", Reply())
    with NetkeibaClient(config(cache_dir=tmp_path)) as client:
        client.fetch(url, final=True)
    with NetkeibaClient(config(cache_dir=tmp_path)) as client:  # a later run
        page = client.fetch(url, final=True)

    assert page.from_cache
    assert server.count("/final") == 1


def test_cached_page_failing_validation_is_fetched_again(
    server: ScriptedServer, tmp_path: Path
) -> None:
    url = server.script("/page", Reply(body=FULL_PAGE))
    cache = PageCache(tmp_path)
    cache.put(url, b"<html><body>half", status=200, charset=None)
    with NetkeibaClient(config(), cache=cache) as client:
        page = client.fetch(url, final=True, validate=require_html_end)

    assert not page.from_cache
    assert page.content == FULL_PAGE
    assert server.count("/page") == 1
    stored = cache.get(url)
    assert stored is not None and stored.content == FULL_PAGE


# -- decoding --------------------------------------------------------------------------

JAPANESE = (
    "<html><head>{meta}<title>東京優駿（日本ダービー）</title></head><body>ダービー</body></html>"
)


def test_euc_jp_body_with_charset_header(server: ScriptedServer, client: NetkeibaClient) -> None:
    body = JAPANESE.format(meta="").encode("euc_jp")
    url = server.script("/euc", Reply(body=body, content_type="text/html; charset=EUC-JP"))
    page = client.fetch(url)

    assert "東京優駿（日本ダービー）" in page.text
    assert page.content == body
    assert page.charset is not None and page.charset.lower() == "euc-jp"


@pytest.mark.parametrize("content_type", ["text/html", "text/html; charset=EUC-JP"])
def test_utf8_body_behind_a_lying_euc_jp_declaration(
    server: ScriptedServer, client: NetkeibaClient, content_type: str
) -> None:
    body = JAPANESE.format(meta='<meta charset="EUC-JP">').encode("utf-8")
    with pytest.raises(UnicodeDecodeError):  # the lie would not even decode
        body.decode("euc_jp")
    url = server.script("/utf8", Reply(body=body, content_type=content_type))
    page = client.fetch(url)

    assert "東京優駿（日本ダービー）" in page.text
    assert "ダービー</body>" in page.text


# -- validation ------------------------------------------------------------------------


def test_rejected_body_is_retried(server: ScriptedServer, client: NetkeibaClient) -> None:
    url = server.script("/v", [Reply(body=b"<html><body>cut short"), Reply(body=FULL_PAGE)])
    page = client.fetch(url, validate=require_html_end)

    assert page.attempts == 2
    assert page.content == FULL_PAGE
    assert server.count("/v") == 2
    assert client.stats.retries == 1


def test_body_rejected_every_time_gives_up_and_is_not_cached(
    server: ScriptedServer, tmp_path: Path
) -> None:
    url = server.script("/bad", Reply(body=b"<html>never complete"))
    cache = PageCache(tmp_path)

    def validate(text: str) -> None:
        raise ValueError("no results table")

    client = NetkeibaClient(config(max_attempts=2), cache=cache)
    with client, pytest.raises(FetchError) as info:
        client.fetch(url, final=True, validate=validate)

    assert "rejected" in str(info.value) and "no results table" in str(info.value)
    assert info.value.status_code == 200
    assert server.count("/bad") == 2
    assert url not in cache


# -- lifecycle -------------------------------------------------------------------------


def test_context_manager_closes_the_client(server: ScriptedServer) -> None:
    url = server.script("/page", Reply())
    with NetkeibaClient(config()) as client:
        assert client.fetch(url).status_code == 200
    with pytest.raises(RuntimeError):
        client.fetch(url)
    assert server.count("/page") == 1


def test_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        ClientConfig(max_attempts=0)
    with pytest.raises(ValueError):
        ClientConfig(min_interval_s=-1)
    assert ClientConfig().min_interval_s >= 1.0


def test_retries_are_counted_by_cause_and_stored_pages_once(
    server: ScriptedServer, tmp_path: Path
) -> None:
    url = server.script("/mixed", [
        Reply(429, headers={"Retry-After": "0"}), Reply(503), Reply(delay_s=1.0),
        Reply(body=FULL_PAGE, truncate_to=1000), Reply(body=FULL_PAGE[:3000]),
        Reply(body=FULL_PAGE),
    ])  # fmt: skip
    cache = PageCache(tmp_path / "cache")
    with NetkeibaClient(config(read_timeout_s=0.3, max_attempts=6), cache=cache) as client:
        page = client.fetch(url, final=True, validate=require_html_end)
        assert client.fetch(url, final=True).from_cache
        stats = client.stats

    assert page.content == FULL_PAGE and page.attempts == 6
    assert stats.retries == 5
    assert stats.retries_by_cause == {"rate_limited": 1, "server_error": 1, "timeout": 1,
                                      "connection": 1, "rejected": 1}  # fmt: skip
    assert set(stats.retries_by_cause) <= set(RETRY_CAUSES)
    assert stats.pages_stored == 1  # the cache hit stored nothing
