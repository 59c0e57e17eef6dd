"""``kedro prefect ...`` in this process, as Kedro's CLI calls it in a project folder."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result
from kedro.framework.startup import bootstrap_project

from kedro_prefect.cli import commands


def kedro_prefect(project: Path, *args: str) -> Result:
    """Invoke ``kedro prefect ARGS`` for ``project`` (Kedro passes the project's
    metadata as the click object)."""
    metadata = bootstrap_project(project)
    return CliRunner().invoke(commands, ["prefect", *args], obj=metadata)
