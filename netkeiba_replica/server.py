"""``ReplicaServer``: the world's pages over HTTP on loopback, in netkeiba's URL scheme.

db.netkeiba.com is served under ``/db`` and race.netkeiba.com under ``/race``
(see :meth:`SiteUrls.replica`), as EUC-JP with an honest Content-Type and
Content-Length, unless :class:`FaultConfig` says otherwise for a request.
Every request is logged as ``(path, status)`` so tests can assert, e.g., that
no page was fetched twice.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from forecast_keiba.netkeiba.urls import SiteUrls
from netkeiba_replica import render
from netkeiba_replica.faults import FaultConfig, FaultKind
from netkeiba_replica.world import World

CONTENT_TYPE = "text/html; charset=EUC-JP"
_RACE = re.compile(r"^/db/race/([0-9A-Za-z]{1,20})/?$")
_DAY = re.compile(r"^/db/race/list/(\d{8})/?$")
_HORSE = re.compile(r"^/db/horse/([0-9A-Za-z]{10})/?$")


class ReplicaServer:
    """A context manager serving ``world`` on ``host:port`` from a background thread.

    ``port=0`` picks a free port; read it from :attr:`port` or :attr:`urls`.
    """

    def __init__(
        self,
        world: World,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultConfig | None = None,
    ) -> None:
        self.world = world
        self.faults = faults or FaultConfig()
        self._lock = threading.Lock()
        self._log: list[tuple[str, int]] = []
        self._fault_log: list[tuple[str, FaultKind]] = []
        self._attempts: Counter[str] = Counter()
        handler = functools.partial(_Handler, self)
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self.host = host
        self.port: int = self._httpd.server_address[1]
        self.urls = SiteUrls.replica(host, self.port)
        self._thread: threading.Thread | None = None
        self.page = functools.lru_cache(maxsize=4096)(self._page)

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> ReplicaServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, name="replica", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- request log -------------------------------------------------------------------
    @property
    def request_log(self) -> list[tuple[str, int]]:
        """``(path with query, status)`` of every request served, in order (a copy)."""
        with self._lock:
            return list(self._log)

    @property
    def fault_log(self) -> list[tuple[str, FaultKind]]:
        """``(path, fault kind)`` of every request a fault was injected into."""
        with self._lock:
            return list(self._fault_log)

    def fetch_counts(self) -> Counter[str]:
        """How many times each path was requested."""
        with self._lock:
            return Counter(path for path, _ in self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()
            self._fault_log.clear()
            self._attempts.clear()

    def _record(self, path: str, status: int, fault: FaultKind | None) -> None:
        with self._lock:
            self._log.append((path, status))
            if fault is not None:
                self._fault_log.append((path, fault))

    def _next_attempt(self, path: str) -> int:
        with self._lock:
            attempt = self._attempts[path]
            self._attempts[path] += 1
            return attempt

    # -- routing -----------------------------------------------------------------------
    def _page(self, path: str) -> tuple[int, bytes]:
        """(status, EUC-JP body) for a path with query; no faults, cached."""
        w, urls = self.world, self.urls
        parts = urlsplit(path)
        route, query = parts.path, parse_qs(parts.query)
        if m := _DAY.match(route):
            day = _date(m.group(1))
            if day is None:
                return 404, _not_found()
            return 200, render.encode(
                render.render_day_list(w.day_list(day), w.day_context(day), urls)
            )
        if m := _RACE.match(route):
            rid = m.group(1)
            if w.has_race(rid) and not w.is_upcoming(rid):
                page = w.result_page(rid)
                return 200, render.encode(
                    render.render_result_page(page, w.race_context(rid), urls)
                )
            return 200, render.encode(render.render_no_race_page(w.no_race_page(rid), urls))
        if m := _HORSE.match(route):
            hid = m.group(1)
            if not w.has_horse(hid):
                return 404, _not_found()
            html = render.render_horse_profile(w.horse_profile(hid), w.horse_context(hid), urls)
            return 200, render.encode(html)
        if route == "/race/top/race_list_sub.html":
            day = _date(query.get("kaisai_date", [""])[0])
            if day is None:
                return 404, _not_found()
            html = render.render_race_list_sub(
                w.upcoming_list(day), w.day_context(day, include_upcoming=True), urls
            )
            return 200, render.encode(html)
        if route == "/race/race/shutuba.html":
            rid = query.get("race_id", [""])[0]
            if not w.has_race(rid):
                return 404, _not_found()
            return 200, render.encode(
                render.render_race_card(w.race_card(rid), w.race_context(rid), urls)
            )
        return 404, _not_found()


def _date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def _not_found() -> bytes:
    return render.encode(
        "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server_version = "nginx"
    sys_version = ""

    def __init__(self, replica: ReplicaServer, *args, **kwargs) -> None:
        self.replica = replica
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the replica keeps its own request log."""

    def do_GET(self) -> None:
        replica, path = self.replica, self.path
        fault, detail = replica.faults.draw(path, replica._next_attempt(path))
        headers: dict[str, str] = {}
        length: int | None = None
        if fault == "error":
            status = 503 if detail < 0.5 else 500
            body = render.encode(f"<html><body><h1>{status}</h1></body></html>")
        elif fault == "rate_limit":
            status = 429
            body = render.encode("<html><body><h1>429 Too Many Requests</h1></body></html>")
            headers["Retry-After"] = f"{replica.faults.retry_after_s:g}"
        else:
            status, body = replica.page(path)
            if fault == "truncate":
                mode = replica.faults.truncate_mode
                if mode == "mixed":
                    mode = "short_body" if detail < 0.5 else "silent"
                if mode == "short_body":
                    length = len(body)  # promise the whole page, then hang up early
                    self.close_connection = True
                body = body[: max(1, len(body) // 3)]
        # Logged before the response goes out: once a client has its answer, the log has it.
        replica._record(path, status, fault)
        if fault == "slow":
            time.sleep(replica.faults.slow_s)
        self._send(status, body, headers, length)

    def _send(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
