"""Free inputs that do not exist: a run that cannot start says so before any node.

A pipeline's free inputs (read by its nodes, written by none of them) must exist
before it runs. Without this check ``--pipeline training`` on a fresh checkout
fails inside its first node with ``DatasetError: races: Failed while loading
data …``, after the flow run started; the operator has to work out which
pipeline writes ``races``. The plan checks instead, and names the missing
datasets and the registered pipelines that produce them.

A dataset counts as missing when its ``exists()`` says False *and* loading it
fails: some datasets read their absence as empty on purpose (an incremental
ledger on its first night, a table that only a simulated source writes), and
they must not be refused. Parameters, in-memory datasets and datasets that do
not implement ``exists()`` (Kedro then warns and says False, which proves
nothing) are not checked; neither is a dataset whose ``exists()`` raises (an
unreachable store is the node's to report, with its own error).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from kedro.io import AbstractDataset, MemoryDataset
from kedro.pipeline import Pipeline

log = logging.getLogger(__name__)


def _checkable(dataset: Any) -> bool:
    """A persisted dataset that implements ``exists()`` (Kedro's default says False)."""
    if dataset is None or isinstance(dataset, MemoryDataset):
        return False
    return getattr(type(dataset), "_exists", None) is not AbstractDataset._exists


def _missing(dataset: Any) -> bool:
    try:
        if dataset.exists():
            return False
    except Exception:  # cannot tell: the node will say what is wrong
        return False
    try:
        dataset.load()  # absence read as empty (an incremental dataset's first run)?
    except Exception:
        return True
    return False


def missing_free_inputs(pipeline: Pipeline, catalog: Any) -> list[str]:
    """The free inputs of ``pipeline`` that do not exist, sorted."""
    names = sorted(
        name for name in pipeline.inputs()
        if name != "parameters" and not name.startswith("params:")
    )  # fmt: skip
    return [name for name in names if _checkable(catalog.get(name)) and _missing(catalog.get(name))]


def producing_pipelines(name: str, registered: Mapping[str, Pipeline]) -> list[str]:
    """The registered pipelines that write ``name`` (``__default__`` only when no
    other does: it usually contains them all)."""
    found = sorted(p for p, pipe in registered.items() if name in pipe.all_outputs())
    named = [p for p in found if p != "__default__"]
    return named or found


def registered_pipelines() -> Mapping[str, Pipeline]:
    """The project's registered pipelines, or none outside a configured project."""
    try:
        from kedro.framework.project import pipelines

        return dict(pipelines)
    except Exception:  # no project configured (a pipeline planned by hand)
        return {}


def missing_inputs_message(
    pipeline_name: str, missing: list[str], registered: Mapping[str, Pipeline]
) -> str:
    """One line: what is missing, and which pipeline to run first for each."""
    parts = []
    for name in missing:
        makers = producing_pipelines(name, registered)
        made_by = (
            f"written by pipeline {', '.join(makers)}" if makers
            else "written by no registered pipeline: provide it"
        )  # fmt: skip
        parts.append(f"{name} ({made_by})")
    return (
        f"pipeline {pipeline_name!r} cannot start: its input(s) do not exist: "
        f"{'; '.join(parts)}. Run the pipeline that writes them first"
    )
