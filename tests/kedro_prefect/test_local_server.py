"""The server-log check that every test server passes at the end of the session."""

from __future__ import annotations

from pathlib import Path

from kedro_prefect.local_server import server_tracebacks

SCHEDULER_FAILURE = """\
08:00:01.000 | INFO    | prefect.server - Scheduler service started
08:00:02.000 | ERROR   | prefect.server.services.scheduler - Unexpected error in: scheduler
Traceback (most recent call last):
  File "prefect/server/services/scheduler.py", line 240, in _insert_scheduled_flow_runs
sqlalchemy.exc.InvalidRequestError: Can't evaluate bulk DML statement
08:00:03.000 | INFO    | uvicorn.access - "GET /api/health HTTP/1.1" 200
"""


def test_a_traceback_in_the_log_is_reported_with_its_context(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text(SCHEDULER_FAILURE * 5)
    found = server_tracebacks(log)
    assert len(found) == 3  # the first three, not fifty
    assert "Unexpected error in: scheduler" in found[0]
    assert "Can't evaluate bulk DML statement" in found[0]


def test_a_clean_or_missing_log_has_none(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("08:00:01.000 | INFO    | prefect.server - started\\n")
    assert server_tracebacks(log) == []
    assert server_tracebacks(tmp_path / "absent.log") == []


def test_sqlite_write_contention_is_not_a_broken_service(tmp_path: Path) -> None:
    """Also when the lock is at the end of a long chain of exceptions."""
    frames = '  File "sqlalchemy/engine/base.py", line 1494, in execute\n' * 60
    log = tmp_path / "server.log"
    log.write_text(
        "08:28:43.582 | ERROR   | prefect.server.utilities.worker_channel - Worker channel "
        "heartbeat persistence failed: work_pool=cpu\n"
        "Traceback (most recent call last):\n"
        + frames
        + "sqlite3.OperationalError: database is locked\n\n"
        "The above exception was the direct cause of the following exception:\n\n"
        "Traceback (most recent call last):\n"
        + frames
        + "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database is locked\n"
        + SCHEDULER_FAILURE
    )
    found = server_tracebacks(log)
    assert len(found) == 1 and "Can't evaluate bulk DML statement" in found[0]


CLOSED_CHANNEL = """\
15:19:53.343 | ERROR   | asyncio - Task exception was never retrieved
future: <Task finished name='Task-76905' coro=<WorkerChannelConnection._receive_loop() done, \
defined at prefect/server/utilities/worker_channel.py:660> exception=WebSocketDisconnected(\
'WebSocket is not connected. Need to call "accept" first.')>
Traceback (most recent call last):
  File "prefect/server/utilities/worker_channel.py", line 663, in _receive_loop
    message = await self.websocket.receive_json()
starlette.websockets.WebSocketDisconnected: WebSocket is not connected. Need to call "accept" first.
"""


def test_prefects_race_on_a_closing_worker_channel_is_not_a_broken_service(
    tmp_path: Path,
) -> None:
    """Only that race: the same disconnect elsewhere, or another failure of the
    channel's receive loop, still counts."""
    log = tmp_path / "server.log"
    log.write_text(CLOSED_CHANNEL)
    assert server_tracebacks(log) == []
    elsewhere = CLOSED_CHANNEL.replace("WorkerChannelConnection._receive_loop", "subscribe")
    other_failure = CLOSED_CHANNEL.replace("WebSocketDisconnected", "ValidationError")
    log.write_text(elsewhere + other_failure)
    assert len(server_tracebacks(log)) == 2


def test_api_retries_a_busy_server_and_reports_other_errors() -> None:
    """503 = the server rolled back on a locked SQLite database: asked again, it answers."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import httpx
    import pytest

    from kedro_prefect import local_server

    answers = [503, 503, 200]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            status = answers.pop(0) if answers else 404
            body = json.dumps({"id": "run-1"} if status == 200 else {"detail": "x"}).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/api"
    try:
        assert local_server.api(base, "deployments/x/create_flow_run", {}) == {"id": "run-1"}
        with pytest.raises(httpx.HTTPStatusError, match="404"):
            local_server.api(base, "deployments/x/create_flow_run", {})
    finally:
        server.shutdown()
