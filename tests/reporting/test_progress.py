"""progress(): a bar at a terminal, log lines elsewhere, a callback for dashboards."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator

import pytest
from rich.console import Console

from forecast_keiba.reporting.progress import progress

LOGGER = "forecast_keiba.reporting.progress"


class Ticker:
    """A fake clock advancing one second per reading."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def test_without_a_tty_logs_every_n_items(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    items = list(range(250))
    out = list(progress(items, description="parse", bar=False, log_every=100))

    assert out == items
    logged = lines(caplog)
    assert len(logged) == 3
    assert logged[0].startswith("parse: 100/250 (40.0%)")
    assert "/s" in logged[0] and "ETA" in logged[0]
    assert logged[1].startswith("parse: 200/250 (80.0%)")
    assert "done" in logged[2] and "250/250" in logged[2]


def test_time_trigger_and_callback_cadence(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    calls: list[tuple[int, int | None]] = []
    list(
        progress(
            range(35),
            description="scrape",
            bar=False,
            log_every=0,
            log_interval_s=10,
            on_progress=lambda done, total: calls.append((done, total)),
            clock=Ticker(),
        )
    )

    assert calls == [(0, 35), (10, 35), (20, 35), (30, 35), (35, 35)]
    assert [m.split(",")[0] for m in lines(caplog)[:3]] == [
        "scrape: 10/35 (28.6%)",
        "scrape: 20/35 (57.1%)",
        "scrape: 30/35 (85.7%)",
    ]
    # one item per second: the ETA of the first line is the 25 items left
    assert "ETA 25s" in lines(caplog)[0]


def test_unknown_total(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    calls: list[tuple[int, int | None]] = []

    def pages() -> Iterator[str]:
        yield from ("a", "b", "c", "d", "e")

    out = list(
        progress(pages(), bar=False, log_every=2, on_progress=lambda d, t: calls.append((d, t)))
    )

    assert out == ["a", "b", "c", "d", "e"]
    assert calls == [(0, None), (2, None), (4, None), (5, None)]
    assert all("ETA" not in m and "%" not in m for m in lines(caplog))


def test_item_counts_as_done_only_after_the_loop_body(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []
    seen_during_body: list[list[int]] = []
    for _ in progress(range(3), bar=False, log_every=1, on_progress=lambda d, t: calls.append(d)):
        seen_during_body.append(list(calls))

    assert seen_during_body == [[0], [0, 1], [0, 1, 2]]
    assert calls == [0, 1, 2, 3]  # the end is not reported twice


def test_breaking_out_reports_where_it_stopped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    calls: list[tuple[int, int | None]] = []
    gen = progress(
        range(100), description="x", bar=False, on_progress=lambda d, t: calls.append((d, t))
    )
    for i in gen:
        if i == 5:
            break
    gen.close()  # what a for-loop's garbage collection would do, made deterministic

    assert calls[-1] == (5, 100)
    assert "stopped" in lines(caplog)[-1] and "5/100" in lines(caplog)[-1]


def test_errors_from_the_iterable_propagate_after_a_final_report() -> None:
    calls: list[int] = []

    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError, match="disk gone"):
        for _ in progress(failing(), bar=False, on_progress=lambda d, t: calls.append(d)):
            pass

    assert calls == [0, 2]


def test_a_broken_callback_does_not_stop_the_loop(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)

    def broken(done: int, total: int | None) -> None:
        raise ConnectionError("prefect api down")

    out = list(progress(range(10), bar=False, log_every=2, on_progress=broken))

    assert out == list(range(10))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # reported once, not once per tick
    assert "on_progress" in warnings[0].getMessage()


def test_bar_shows_count_and_does_not_log_ticks(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120, color_system=None)
    out = list(progress(range(10), description="races", bar=True, log_every=1, console=console))

    assert out == list(range(10))
    text = buffer.getvalue()
    assert "races" in text
    assert re.search(r"10/10", text)
    assert "/s" in text
    assert len(lines(caplog)) == 1 and "done" in lines(caplog)[0]  # only the summary


@pytest.mark.parametrize("tty", [True, False])
def test_bar_only_when_stderr_is_a_tty(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tty: bool
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)

    class FakeStderr(io.StringIO):
        def isatty(self) -> bool:
            return tty

    monkeypatch.setattr("sys.stderr", FakeStderr())
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120, color_system=None)
    list(progress(range(4), description="files", log_every=1, console=console))

    assert ("4/4" in buffer.getvalue()) is tty
    tick_lines = [m for m in lines(caplog) if "done" not in m]
    assert len(tick_lines) == (0 if tty else 4)


def test_rejects_negative_cadence() -> None:
    with pytest.raises(ValueError):
        progress([1], log_every=-1)
