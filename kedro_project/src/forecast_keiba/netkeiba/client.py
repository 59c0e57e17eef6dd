"""A polite, robust HTTP client for netkeiba.com.

Scraping years of races means tens of thousands of requests to one small site,
so the client is built around two duties:

* **Politeness.** Requests to one host are serialised and spaced at least
  ``min_interval_s`` apart, measured from the *end* of the previous response to
  the start of the next one (so even the server sees the gap, whatever the
  network jitter), across all threads sharing the client. Different hosts are
  independent. A ``Retry-After`` sent by the server holds back every thread
  talking to that host, not just the one that got it. The User-Agent names the
  project and a contact so the site's operators can reach a human.
* **Robustness.** Transient failures (429, 5xx, timeouts, dropped connections,
  bodies shorter than their ``Content-Length``, bodies the caller's
  ``validate`` hook rejects) are retried with exponential backoff and full
  jitter, up to ``max_attempts``; then :class:`FetchError` names the URL, the
  last status and the attempt count. Errors that retrying cannot fix (404, 403,
  other 4xx) raise at once.

Pages that never change once published (archived race results) can be marked
``final``: they are stored in a :class:`PageCache` and never fetched again.
Everything else (race cards, lists of future days) goes to the network each time.

Sleeping and clocks are injectable so the retry and spacing logic can be
tested without waiting; production uses ``time.monotonic``/``time.sleep``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

from forecast_keiba import __version__
from forecast_keiba.netkeiba.decode import decode_html
from forecast_keiba.netkeiba.errors import FetchError
from forecast_keiba.netkeiba.page_cache import PageCache

logger = logging.getLogger(__name__)

#: Statuses worth retrying: rate limiting and server-side trouble.
DEFAULT_RETRY_STATUSES: frozenset[int] = frozenset({408, 425, 429, 500, 502, 503, 504})

#: Placeholder contact; deployments should set ``ClientConfig.contact`` to a real one.
DEFAULT_CONTACT = "https://github.com/forecast-keiba/forecast-keiba"


@dataclass(frozen=True)
class ClientConfig:
    """Every knob of :class:`NetkeibaClient`; the defaults are the polite production ones.

    Tests shrink the intervals and timeouts; nobody should need to lower
    ``min_interval_s`` below 1 s against the live site.
    """

    contact: str = DEFAULT_CONTACT
    """URL or e-mail put in the User-Agent so the site can reach whoever runs the scraper."""
    user_agent: str | None = None
    """Full override of the User-Agent; by default built from the version and ``contact``."""
    min_interval_s: float = 1.0
    """Least gap between the end of one response and the next request to the same host."""
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    max_attempts: int = 5
    """Total tries per URL (first attempt included) before giving up."""
    backoff_base_s: float = 2.0
    """Backoff cap after the first failure; doubles per further failure (full jitter below it)."""
    backoff_max_s: float = 120.0
    """Upper bound of the exponential backoff cap."""
    retry_after_max_s: float = 300.0
    """A server's ``Retry-After`` is honoured up to this many seconds, then capped."""
    retry_statuses: frozenset[int] = DEFAULT_RETRY_STATUSES
    follow_redirects: bool = True
    max_connections: int = 8
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    cache_dir: str | Path | None = None
    """Where final pages are kept; ``None`` means no cache unless one is passed to the client."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        for name in ("min_interval_s", "backoff_base_s", "backoff_max_s", "retry_after_max_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.connect_timeout_s <= 0 or self.read_timeout_s <= 0:
            raise ValueError("timeouts must be > 0")

    @property
    def effective_user_agent(self) -> str:
        return self.user_agent or f"forecast-keiba/{__version__} (+{self.contact})"


@dataclass(frozen=True)
class FetchedPage:
    """One page as the caller sees it, whether it came from the network or the cache.

    ``url`` is the URL that was asked for (the cache key), even if redirects
    were followed. ``attempts`` is 0 for a cache hit.
    """

    url: str
    status_code: int
    text: str
    content: bytes
    from_cache: bool
    attempts: int
    charset: str | None = None


@dataclass(frozen=True)
class ClientStats:
    """A snapshot of the client's counters (see :attr:`NetkeibaClient.stats`)."""

    requests: int = 0
    """HTTP requests sent, every attempt counted."""
    retries: int = 0
    cache_hits: int = 0
    bytes_downloaded: int = 0
    failures: int = 0
    """Fetches that ended in :class:`FetchError`."""
    pages_stored: int = 0
    """Pages written to the cache as final (each at most once per fetch)."""
    retries_by_cause: Mapping[str, int] = field(default_factory=dict)
    """``retries`` split by why the attempt failed (see :data:`RETRY_CAUSES`)."""


#: Why an attempt failed, as counted in :attr:`ClientStats.retries_by_cause`.
RETRY_CAUSES = ("rate_limited", "server_error", "timeout", "connection", "short_body", "rejected")

FinalSpec = bool | Callable[[str], bool]
Validator = Callable[[str], None]


class BodyRejected(Exception):
    """Raised by validators (or the client itself) for a body not worth keeping.

    Any exception from a ``validate`` hook rejects the body; this one just
    reads well in logs.
    """


def require_html_end(text: str) -> None:
    """A ready-made ``validate`` hook: a full HTML page ends with ``</html>``.

    Catches pages cut off by a proxy or a dropped connection that still
    arrived with a plausible status. Not for AJAX fragments, which have no
    ``</html>``.
    """
    if "</html>" not in text[-2048:].lower():
        raise BodyRejected("no closing </html>: truncated page")


@dataclass
class _HostGate:
    """Spacing state of one host; ``lock`` is held for the whole request."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    last_done: float | None = None
    not_before: float = 0.0


@dataclass(frozen=True)
class _Failure:
    """Why one attempt failed, and whether trying again may help."""

    description: str
    status_code: int | None
    retryable: bool
    retry_after_s: float | None = None
    cause: BaseException | None = None
    kind: str = "connection"
    """One of :data:`RETRY_CAUSES`."""


class NetkeibaClient:
    """Fetch netkeiba pages politely; see the module docstring for the rules.

    Safe to share between threads. Use as a context manager, or call
    :meth:`close` when done::

        with NetkeibaClient(ClientConfig(contact="me@example.org")) as client:
            page = client.fetch(url, final=True, validate=require_html_end)
    """

    def __init__(
        self,
        config: ClientConfig | None = None,
        *,
        cache: PageCache | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        """``transport`` is for tests (``httpx.MockTransport``); ``clock``/``sleep``
        drive spacing and backoff, ``wall_clock`` only turns a ``Retry-After``
        HTTP-date into a delay; ``rng`` draws the jitter.
        """
        self.config = config or ClientConfig()
        if cache is None and self.config.cache_dir is not None:
            cache = PageCache(self.config.cache_dir)
        self.cache = cache
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._gates: dict[str, _HostGate] = {}
        self._gates_lock = threading.Lock()
        self._stats = ClientStats()
        self._stats_lock = threading.Lock()
        headers = {"User-Agent": self.config.effective_user_agent, **self.config.extra_headers}
        self._http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(
                self.config.read_timeout_s,
                connect=self.config.connect_timeout_s,
                pool=None,  # one request per host in flight: the pool only fills with many hosts
            ),
            limits=httpx.Limits(max_connections=self.config.max_connections),
            follow_redirects=self.config.follow_redirects,
            transport=transport,
        )

    # -- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close pooled connections. The client cannot fetch afterwards."""
        self._http.close()

    # -- public API ------------------------------------------------------------------

    @property
    def stats(self) -> ClientStats:
        """A consistent snapshot of the counters (cheap; safe from any thread)."""
        with self._stats_lock:
            return self._stats

    def fetch(
        self,
        url: str,
        *,
        final: FinalSpec = False,
        validate: Validator | None = None,
    ) -> FetchedPage:
        """Return the page at ``url``, from the cache if it was stored as final.

        ``final`` says whether the fetched page may be cached forever: ``True``,
        or a predicate over the decoded text (e.g. "parses as a race result",
        so a not-yet-published result is not frozen). ``validate`` may raise to
        reject a body; a rejected body is retried like a 503.

        Raises :class:`FetchError` for a non-retryable status at once, and after
        ``max_attempts`` for transient failures.
        """
        cached = self._from_cache(url, validate)
        if cached is not None:
            return cached

        attempts = 0
        failure: _Failure | None = None
        while attempts < self.config.max_attempts:
            attempts += 1
            outcome = self._attempt(url, validate)
            if isinstance(outcome, FetchedPage):
                page = replace(outcome, attempts=attempts)
                self._maybe_store(page, final)
                logger.debug("fetched %s (HTTP %d, %d attempts)", url, page.status_code, attempts)
                return page
            failure = outcome
            if not failure.retryable:
                self._count(failures=1)
                logger.warning("not retrying %s: %s", url, failure.description)
                raise FetchError(
                    url, f"{failure.description} (not retried)", failure.status_code
                ) from failure.cause
            if attempts < self.config.max_attempts:
                delay = self._retry_delay(attempts, failure)
                self._count(retries=1, cause=failure.kind)
                logger.warning(
                    "retrying %s in %.2fs: attempt %d/%d failed: %s",
                    url,
                    delay,
                    attempts,
                    self.config.max_attempts,
                    failure.description,
                    extra={"url": url, "status_code": failure.status_code, "delay_s": delay},
                )
                self._sleep_for(delay)

        assert failure is not None  # the loop ran at least once and did not return
        self._count(failures=1)
        reason = f"gave up after {attempts} attempts; last: {failure.description}"
        logger.error("cannot fetch %s: %s", url, reason)
        raise FetchError(url, reason, failure.status_code) from failure.cause

    # -- one attempt -----------------------------------------------------------------

    def _attempt(self, url: str, validate: Validator | None) -> FetchedPage | _Failure:
        try:
            host = httpx.URL(url).host.lower()
        except httpx.InvalidURL as exc:
            return _Failure(f"invalid URL: {exc}", None, retryable=False, cause=exc)
        if not host:
            return _Failure("URL has no host", None, retryable=False)

        gate = self._gate(host)
        with gate.lock:
            self._wait_for(gate)
            self._count(requests=1)
            try:
                response = self._http.get(url)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "connection"
                return _Failure(
                    f"{type(exc).__name__}: {exc}", None, retryable=True, cause=exc, kind=kind
                )
            except httpx.HTTPError as exc:  # bad scheme, too many redirects, ...
                return _Failure(f"{type(exc).__name__}: {exc}", None, retryable=False, cause=exc)
            finally:
                gate.last_done = self._clock()
            self._count(bytes_downloaded=response.num_bytes_downloaded or len(response.content))
            retry_after = None
            if response.status_code in self.config.retry_statuses:
                retry_after = self._retry_after(response)
            if retry_after is not None:
                # The server's wish holds for every thread talking to this host.
                gate.not_before = max(gate.not_before, gate.last_done + retry_after)

        return self._judge(url, response, retry_after, validate)

    def _judge(
        self,
        url: str,
        response: httpx.Response,
        retry_after: float | None,
        validate: Validator | None,
    ) -> FetchedPage | _Failure:
        status = response.status_code
        described = f"HTTP {status} {response.reason_phrase}".rstrip()
        if status in self.config.retry_statuses:
            kind = "rate_limited" if status == 429 else "server_error"
            return _Failure(described, status, True, retry_after_s=retry_after, kind=kind)
        if not 200 <= status < 300:
            return _Failure(described, status, retryable=False)

        short = _short_body(response)
        if short is not None:
            return _Failure(f"HTTP {status} with a {short}", status, True, kind="short_body")
        charset = response.charset_encoding
        text = decode_html(response.content, charset)
        if validate is not None:
            try:
                validate(text)
            except Exception as exc:
                return _Failure(
                    f"HTTP {status} body rejected: {type(exc).__name__}: {exc}",
                    status,
                    retryable=True,
                    cause=exc,
                    kind="rejected",
                )
        return FetchedPage(
            url=url,
            status_code=status,
            text=text,
            content=response.content,
            from_cache=False,
            attempts=0,
            charset=charset,
        )

    # -- cache -----------------------------------------------------------------------

    def _from_cache(self, url: str, validate: Validator | None) -> FetchedPage | None:
        if self.cache is None:
            return None
        entry = self.cache.get(url)
        if entry is None:
            return None
        text = decode_html(entry.content, entry.charset)
        if validate is not None:
            # A page cached by an older, laxer run is refetched rather than trusted.
            try:
                validate(text)
            except Exception as exc:
                logger.warning("cached %s rejected (%s); fetching it again", url, exc)
                return None
        self._count(cache_hits=1)
        logger.debug("cache hit %s", url)
        return FetchedPage(
            url=url,
            status_code=entry.status,
            text=text,
            content=entry.content,
            from_cache=True,
            attempts=0,
            charset=entry.charset,
        )

    def _maybe_store(self, page: FetchedPage, final: FinalSpec) -> None:
        if self.cache is None:
            return
        is_final = final(page.text) if callable(final) else bool(final)
        if is_final:
            self.cache.put(page.url, page.content, status=page.status_code, charset=page.charset)
            self._count(pages_stored=1)

    # -- timing ----------------------------------------------------------------------

    def _gate(self, host: str) -> _HostGate:
        with self._gates_lock:
            gate = self._gates.get(host)
            if gate is None:
                gate = self._gates[host] = _HostGate()
            return gate

    def _wait_for(self, gate: _HostGate) -> None:
        """Sleep (holding the host's lock) until the host may be asked again."""
        target = gate.not_before
        if gate.last_done is not None:
            target = max(target, gate.last_done + self.config.min_interval_s)
        self._sleep_until(target)

    def _sleep_for(self, delay: float) -> None:
        self._sleep_until(self._clock() + delay)

    def _sleep_until(self, target: float) -> None:
        # Loop: a sleep may end early (signals, coarse timers), the gap must not.
        while (remaining := target - self._clock()) > 0:
            self._sleep(remaining)

    def _retry_delay(self, failed_attempt: int, failure: _Failure) -> float:
        """``Retry-After`` (capped) if the server sent one, else full-jitter backoff."""
        if failure.retry_after_s is not None:
            return failure.retry_after_s
        cap = min(self.config.backoff_max_s, self.config.backoff_base_s * 2 ** (failed_attempt - 1))
        with self._rng_lock:
            return self._rng.uniform(0.0, cap)

    def _retry_after(self, response: httpx.Response) -> float | None:
        """Seconds asked by a ``Retry-After`` header (delta-seconds or HTTP-date), capped."""
        value = response.headers.get("retry-after")
        if value is None:
            return None
        delay = parse_retry_after(value, now=self._wall_clock())
        if delay is None:
            logger.info("ignoring unparsable Retry-After %r from %s", value, response.url)
            return None
        return min(delay, self.config.retry_after_max_s)

    def _count(self, cause: str | None = None, **increments: int) -> None:
        with self._stats_lock:
            current = self._stats
            changes: dict[str, object] = {k: getattr(current, k) + v for k, v in increments.items()}
            if cause is not None:  # a new dict: earlier snapshots stay as they were
                by_cause = dict(current.retries_by_cause)
                by_cause[cause] = by_cause.get(cause, 0) + 1
                changes["retries_by_cause"] = by_cause
            self._stats = replace(current, **changes)


def parse_retry_after(value: str, *, now: float) -> float | None:
    """Seconds to wait per a ``Retry-After`` value, or ``None`` if it is garbage.

    ``now`` is the wall-clock time (``time.time()``) an HTTP-date is measured
    from; a date in the past means "now" (0 s).
    """
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; an obsolete form may parse naive
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - now)


def _short_body(response: httpx.Response) -> str | None:
    """Describe a body shorter than its ``Content-Length``, else ``None``.

    httpx usually raises on such bodies itself (the connection closes early),
    but a proxy or a transport that buffers can hand one over silently.
    """
    declared = response.headers.get("content-length", "").strip()
    if not declared.isdigit():
        return None
    encoded = response.headers.get("content-encoding", "identity").lower() not in ("", "identity")
    # num_bytes_downloaded counts raw (still-encoded) bytes off the wire; a buffering
    # transport (MockTransport) reports 0 there, so fall back to the decoded length,
    # which is only comparable to Content-Length when nothing was compressed.
    if response.num_bytes_downloaded:
        received = response.num_bytes_downloaded
    elif encoded:
        return None
    else:
        received = len(response.content)
    if received < int(declared):
        return f"body of {received} bytes, shorter than its Content-Length {declared}"
    return None
