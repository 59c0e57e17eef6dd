"""Progress reporting for long loops (scraping thousands of pages, parsing thousands of files).

One wrapper, three audiences:

* a person at a terminal gets a ``rich`` bar with counts, rate and ETA;
* CI logs and Prefect's log view (no TTY) get a plain log line every
  ``log_every`` items or ``log_interval_s`` seconds, whichever comes first,
  because a redrawn bar turns into thousands of garbage lines there;
* code, e.g. the Prefect bridge publishing a progress artifact, gets
  ``on_progress(done, total)`` at the start, at every log tick and at the end
  (throttled like the log lines, since publishing may be a network call).

``done`` counts items the loop body has *finished*: an item is counted when
the consumer asks for the next one, so rate and ETA measure the real work, not
how fast the items were produced.

Nothing here imports Kedro or Prefect.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

T = TypeVar("T")
ProgressCallback = Callable[[int, int | None], None]

logger = logging.getLogger(__name__)


def progress(
    iterable: Iterable[T],
    total: int | None = None,
    description: str = "",
    *,
    on_progress: ProgressCallback | None = None,
    bar: bool | None = None,
    log_every: int = 1000,
    log_interval_s: float = 30.0,
    console: Console | None = None,
    log: logging.Logger | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[T]:
    """Yield the items of ``iterable`` while reporting progress.

    ``total`` defaults to ``len(iterable)`` when it has one; without a total
    there is no percentage or ETA. ``bar=None`` shows the bar only when stderr
    is a TTY; ``True``/``False`` force it on or off. ``console`` is where the
    bar is drawn (default: stderr), ``log`` where lines go (default: the
    ``forecast_keiba.reporting.progress`` logger). ``clock`` exists for tests.

    Exceptions raised by ``on_progress`` are logged and swallowed: a broken
    dashboard must not abort a day-long scrape.
    """
    if log_every < 0 or log_interval_s < 0:
        raise ValueError("log_every and log_interval_s must be >= 0 (0 disables that trigger)")
    if total is None:
        total = _length(iterable)
    use_bar = _stderr_is_tty() if bar is None else bar
    reporter = _Reporter(
        description or "progress",
        total,
        on_progress,
        log or logger,
        log_lines=not use_bar,
        log_every=log_every,
        log_interval_s=log_interval_s,
        clock=clock,
    )
    if use_bar:
        return _with_bar(iterable, reporter, description, console, clock)
    return _plain(iterable, reporter)


def _plain(iterable: Iterable[T], reporter: _Reporter) -> Iterator[T]:
    reporter.start()
    finished = False
    try:
        for item in iterable:
            yield item
            reporter.advance()
        finished = True
    finally:
        reporter.finish(finished)


def _with_bar(
    iterable: Iterable[T],
    reporter: _Reporter,
    description: str,
    console: Console | None,
    clock: Callable[[], float],
) -> Iterator[T]:
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    reporter.start()
    finished = False
    with Progress(*columns, console=console or Console(stderr=True), get_time=clock) as bar:
        task = bar.add_task(description, total=reporter.total)
        try:
            for item in iterable:
                yield item
                bar.advance(task)
                reporter.advance()
            finished = True
        finally:
            bar.refresh()
            reporter.finish(finished)


class _RateColumn(ProgressColumn):
    """Items per second (rich's own speed column assumes bytes)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("?/s" if speed is None else f"{speed:,.1f}/s", style="progress.data.speed")


class _Reporter:
    """Counting, throttling and the two non-bar outputs: log lines and the callback."""

    def __init__(
        self,
        description: str,
        total: int | None,
        on_progress: ProgressCallback | None,
        log: logging.Logger,
        *,
        log_lines: bool,
        log_every: int,
        log_interval_s: float,
        clock: Callable[[], float],
    ) -> None:
        self.description = description
        self.total = total
        self.on_progress = on_progress
        self.log = log
        self.log_lines = log_lines
        self.log_every = log_every
        self.log_interval_s = log_interval_s
        self.clock = clock
        self.done = 0
        self.started = 0.0
        self.last_tick_time = 0.0
        self.last_tick_done = 0
        self.last_callback_done: int | None = None
        self._callback_failed = False

    def start(self) -> None:
        self.started = self.last_tick_time = self.clock()
        self._callback()

    def advance(self) -> None:
        self.done += 1
        now = self.clock()
        by_count = self.log_every and self.done - self.last_tick_done >= self.log_every
        by_time = self.log_interval_s and now - self.last_tick_time >= self.log_interval_s
        if by_count or by_time:
            self.last_tick_time, self.last_tick_done = now, self.done
            # Always a log record, bar or not: an orchestrator (the Prefect bridge)
            # turns records carrying ``progress`` into a progress artifact.
            level = logging.INFO if self.log_lines else logging.DEBUG
            self.log.log(level, "%s", self._line(now), extra=self._extra())
            self._callback()

    def finish(self, completed: bool) -> None:
        elapsed = self.clock() - self.started
        rate = self.done / elapsed if elapsed > 0 else None
        counted = f"{self.done}" if self.total is None else f"{self.done}/{self.total}"
        state = "done" if completed else "stopped"
        self.log.info(
            "%s: %s, %s items in %s%s",
            self.description,
            state,
            counted,
            _duration(elapsed),
            "" if rate is None else f" ({rate:,.1f}/s)",
            extra=self._extra(),
        )
        if self.last_callback_done != self.done:  # the last tick may have reported it already
            self._callback()

    def _extra(self) -> dict[str, object]:
        return {"progress": (self.done, self.total)}

    def _line(self, now: float) -> str:
        elapsed = now - self.started
        rate = self.done / elapsed if elapsed > 0 else None
        parts = [f"{self.description}: {self.done}"]
        if self.total is not None:
            pct = 100.0 * self.done / self.total if self.total else 100.0
            parts[0] += f"/{self.total} ({pct:.1f}%)"
        if rate is not None:
            parts.append(f"{rate:,.1f}/s")
            if self.total is not None and rate > 0:
                parts.append(f"ETA {_duration(max(0, self.total - self.done) / rate)}")
        parts.append(f"elapsed {_duration(elapsed)}")
        return ", ".join(parts)

    def _callback(self) -> None:
        if self.on_progress is None:
            return
        self.last_callback_done = self.done
        try:
            self.on_progress(self.done, self.total)
        except Exception:
            if not self._callback_failed:  # once is enough in a loop of thousands
                self.log.warning("on_progress callback failed; continuing", exc_info=True)
            self._callback_failed = True


def _length(iterable: Iterable[object]) -> int | None:
    try:
        return len(iterable)  # type: ignore[arg-type]
    except TypeError:
        return None


def _stderr_is_tty() -> bool:
    stream = sys.stderr
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed stream
        return False


def _duration(seconds: float) -> str:
    """``42s``, ``5m10s``, ``1h02m03s``: short enough for a log line."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"
