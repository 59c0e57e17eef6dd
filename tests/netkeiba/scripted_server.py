"""A real HTTP/1.1 server on 127.0.0.1 that plays scripted responses per path.

The client tests talk to it over real sockets so that timeouts, dropped
connections and bodies cut short behave exactly as they do on the wire. Every
request is logged with its arrival time *on the server*, so tests can assert
what the server saw (gaps between requests, headers, counts) rather than how
long the client took.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HeaderValue = str | Callable[[], str]


@dataclass(frozen=True)
class Reply:
    """One scripted response.

    ``delay_s`` is slept before the status line (longer than the client's read
    timeout = a timeout). ``truncate_to`` sends only that many body bytes while
    ``Content-Length`` announces the full body, then drops the connection.
    Header values may be callables, evaluated when the response is sent (for
    ``Retry-After`` HTTP-dates relative to that moment).
    """

    status: int = 200
    body: bytes = b"<html><body>ok</body></html>"
    content_type: str | None = "text/html"
    headers: Mapping[str, HeaderValue] = field(default_factory=dict)
    delay_s: float = 0.0
    truncate_to: int | None = None


@dataclass
class Seen:
    """One request as the server saw it."""

    path: str
    host: str
    headers: dict[str, str]
    arrived: float  # time.monotonic() when the request line and headers were read
    arrived_wall: float  # time.time() at the same moment
    reply: Reply
    sent_headers: dict[str, str] = field(default_factory=dict)
    responded: float | None = None  # time.monotonic() once the response was written


class ScriptedServer:
    """Serve ``script(path, [...])`` replies in order; the last one repeats.

    Unscripted paths get a 404 so a typo in a test fails loudly.
    """

    def __init__(self) -> None:
        self._scripts: dict[str, list[Reply]] = {}
        self._served: dict[str, int] = {}
        self._seen: list[Seen] = []
        self._cond = threading.Condition()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def script(self, path: str, replies: Reply | Sequence[Reply]) -> str:
        """Script ``path``; returns its 127.0.0.1 URL for convenience."""
        replies = [replies] if isinstance(replies, Reply) else list(replies)
        if not replies:
            raise ValueError("script needs at least one reply")
        with self._cond:
            self._scripts[path] = replies
            self._served[path] = 0
        return self.url(path)

    @property
    def seen(self) -> list[Seen]:
        with self._cond:
            return list(self._seen)

    def seen_for(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def count(self, path: str) -> int:
        return len(self.seen_for(path))

    def wait_for(self, predicate: Callable[[list[Seen]], bool], timeout: float = 10.0) -> bool:
        """Block until ``predicate(seen)`` holds (re-checked on each request and response)."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(list(self._seen)), timeout=timeout)

    # -- called from handler threads -----------------------------------------------

    def _arrive(self, path: str, host: str, headers: dict[str, str]) -> Seen:
        arrived, arrived_wall = time.monotonic(), time.time()
        with self._cond:
            replies = self._scripts.get(path)
            if replies is None:
                reply = Reply(status=404, body=b"unscripted path")
            else:
                index = min(self._served[path], len(replies) - 1)
                self._served[path] += 1
                reply = replies[index]
            seen = Seen(path, host, headers, arrived, arrived_wall, reply)
            self._seen.append(seen)
            self._cond.notify_all()
        return seen

    def _responded(self, seen: Seen) -> None:
        with self._cond:
            seen.responded = time.monotonic()
            self._cond.notify_all()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: ScriptedServer

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hanging up (timeouts) are expected here; keep test output clean."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so Content-Length is what frames a body
    server: _Server

    def do_GET(self) -> None:
        seen = self.server.owner._arrive(
            self.path, self.headers.get("Host", ""), dict(self.headers.items())
        )
        reply = seen.reply
        if reply.delay_s:
            time.sleep(reply.delay_s)
        try:
            self.send_response(reply.status)
            if reply.content_type:
                self.send_header("Content-Type", reply.content_type)
            for name, value in reply.headers.items():
                rendered = value() if callable(value) else value
                seen.sent_headers[name] = rendered
                self.send_header(name, rendered)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.truncate_to is None:
                self.wfile.write(reply.body)
            else:
                self.wfile.write(reply.body[: reply.truncate_to])
                self.close_connection = True  # EOF before Content-Length is reached
            self.wfile.flush()
        except OSError:  # the client gave up (read timeout) and closed the socket
            self.close_connection = True
        finally:
            self.server.owner._responded(seen)

    def log_message(self, format: str, *args: object) -> None:
        """Silence the per-request stderr line."""
