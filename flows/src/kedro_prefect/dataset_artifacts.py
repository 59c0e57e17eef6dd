"""Datasets published as Prefect artifacts, as ``prefect.yml``'s ``artifacts`` says.

A run's products (a forecast, a report) otherwise live only in files on the
machine that ran it; an operator looking at the flow run in the UI should see
them there. A Kedro dataset hook publishes each configured dataset when a node
saves it, from the task run that saved it, so the artifact belongs to that task
run and its flow run, under the dataset's name as key: the key's history in the
UI is the dataset's history. Outside a Prefect run (``kedro run``) nothing is
published. Data the configured kind cannot show (a model as a table) is named in
a warning in the task run's logs, never a failed node: the data is saved.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.pipeline import Node
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.context import TaskRunContext

from kedro_prefect.artifacts import artifact_key, attempt_label
from kedro_prefect.config import DatasetArtifact

log = logging.getLogger(__name__)


class DatasetArtifacts:
    """Kedro dataset hook: publishes the configured datasets as they are saved."""

    def __init__(self, specs: Mapping[str, DatasetArtifact]) -> None:
        self.specs = dict(specs)

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any, node: Node) -> None:
        spec = self.specs.get(dataset_name)
        if spec is None or TaskRunContext.get() is None:
            return
        try:
            publish(dataset_name, data, spec, node.name)
        except TypeError as exc:
            log.warning("dataset %r is not published as a %s artifact: %s",
                        dataset_name, spec.kind, exc)  # fmt: skip


def publish(name: str, data: Any, spec: DatasetArtifact, node: str) -> None:
    """One artifact for ``data`` of dataset ``name``, saved by ``node``."""
    about = spec.description or f"dataset {name}"
    description = f"{about} (saved by node {node}, {attempt_label()})"
    key = artifact_key(name)
    if spec.kind == "table":
        rows, total = table_rows(name, data, spec)
        if total > len(rows):
            description += f"; the first {len(rows):,} of {total:,} rows"
        create_table_artifact(key=key, table=rows, description=description)
        return
    if not isinstance(data, str):
        raise TypeError(f"a {spec.kind} artifact needs a string, not {type(data).__name__}")
    markdown = data if spec.kind == "markdown" else f"```text\n{data.rstrip()}\n```\n"
    create_markdown_artifact(key=key, markdown=markdown, description=description)


def table_rows(name: str, data: Any, spec: DatasetArtifact) -> tuple[list[dict[str, Any]], int]:
    """The first ``max_rows`` records of a DataFrame (or list of records) as JSON
    values (dates as ISO text, NaN as null), with the configured columns; and how
    many rows there were. Columns the data lacks are left out with a warning."""
    if isinstance(data, list) and all(isinstance(row, dict) for row in data):
        import pandas as pd

        data = pd.DataFrame.from_records(data)
    if not (hasattr(data, "columns") and hasattr(data, "to_json")):
        raise TypeError(f"a table artifact needs a DataFrame, not {type(data).__name__}")
    columns = list(data.columns) if spec.columns is None else spec.columns
    missing = [column for column in columns if column not in data.columns]
    if missing:
        log.warning("dataset %r has no column(s) %s for its artifact; it has %s",
                    name, missing, list(data.columns))  # fmt: skip
    head = data[[column for column in columns if column in data.columns]].head(spec.max_rows)
    if spec.float_digits is not None:
        head = head.round(spec.float_digits)
    return json.loads(head.to_json(orient="records", date_format="iso")), len(data)
