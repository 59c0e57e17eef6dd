"""A bridge run prints each routed record once: through Prefect's console handler
(``console_logs: prefect``) or the project's own console handlers (``kedro``)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator

import pytest
from prefect.logging.handlers import APILogHandler
from prefect.settings import PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW, temporary_settings

from kedro_prefect.logs import outermost, run_logging


@pytest.fixture
def root_console(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], list[str]]]:
    """The project's console handler on the root logger (as Kedro's logging config puts
    it), printing to the stderr of the test; records outside a run stay off the API.

    Yields a function that starts it (sys.stderr is the test's only once the test
    body runs) and then returns the console lines so far."""
    handler: logging.Handler | None = None

    def lines() -> list[str]:
        nonlocal handler
        if handler is None:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("ROOT %(name)s %(message)s"))
            logging.getLogger().addHandler(handler)
        return capsys.readouterr().err.splitlines()

    logging.getLogger("kedro").setLevel(logging.INFO)
    logging.getLogger("elsewhere").setLevel(logging.INFO)
    with temporary_settings({PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW: "ignore"}):
        yield lines
    logging.getLogger().removeHandler(handler)  # type: ignore[arg-type]


def test_nested_logger_names_are_routed_once() -> None:
    assert outermost(["kedro", "pkg", "kedro.io", "pkg", "pkg_other"]) == [
        "kedro", "pkg", "pkg_other"
    ]  # fmt: skip


def test_prefect_console_prints_routed_records_once(
    root_console: Callable[[], list[str]],
) -> None:
    root_console()
    with run_logging(["kedro", "kedro.io"], console="prefect"):
        assert any(isinstance(h, APILogHandler) for h in logging.getLogger("kedro").handlers)
        logging.getLogger("kedro.io.data_catalog").info("Loading data from x")
        logging.getLogger("elsewhere").warning("not routed")
    lines = root_console()
    loading = [line for line in lines if "Loading data from x" in line]
    assert len(loading) == 1 and not loading[0].startswith("ROOT")
    assert "| INFO    | kedro.io.data_catalog - Loading data from x" in loading[0]
    assert "ROOT elsewhere not routed" in lines  # other loggers keep the project's console
    # afterwards the project's logging is as it was
    assert not logging.getLogger("kedro").handlers
    logging.getLogger("kedro").info("after the run")
    assert root_console() == ["ROOT kedro after the run"]


def test_kedro_console_leaves_the_projects_handlers_printing(
    root_console: Callable[[], list[str]],
) -> None:
    root_console()
    with run_logging(["kedro"], console="kedro"):
        logging.getLogger("kedro.runner").info("Running node: a")
    assert root_console() == ["ROOT kedro.runner Running node: a"]


def test_a_project_logger_that_does_not_propagate_is_routed_and_printed_once(
    root_console: Callable[[], list[str]],
) -> None:
    """A project prints its tables through a logger of its own that does not
    propagate (a plain handler: no rich columns to wrap them in): under a run the
    record still reaches Prefect, and the console shows it once."""
    root_console()
    tables = logging.getLogger("kedro.tables_of_the_project")
    own = logging.StreamHandler(sys.stderr)
    own.setFormatter(logging.Formatter("OWN %(message)s"))
    tables.addHandler(own)
    tables.propagate = False
    tables.setLevel(logging.INFO)
    try:
        with run_logging(["kedro"], console="prefect"):
            assert any(isinstance(h, APILogHandler) for h in tables.handlers)
            tables.info("a | table")
        lines = [line for line in root_console() if "a | table" in line]
        assert len(lines) == 1 and "| INFO    | kedro.tables_of_the_project - a | table" in lines[0]
        assert tables.handlers == [own]  # as the project configured it, afterwards
        tables.info("outside a run")
        assert root_console() == ["OWN outside a run"]
    finally:
        tables.removeHandler(own)
        tables.propagate = True
