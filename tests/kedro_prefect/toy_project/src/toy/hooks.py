"""Writes every hook call to $TOY_EVENTS (one line each), so tests can see which fired."""

import os
from pathlib import Path

from kedro.framework.hooks import hook_impl


def _record(event: str) -> None:
    path = os.environ.get("TOY_EVENTS")
    if path:
        with Path(path).open("a") as handle:
            handle.write(event + "\n")


class EventLog:
    @hook_impl
    def before_pipeline_run(self, run_params):
        _record(f"before_pipeline_run:{','.join(run_params.get('pipeline_names') or [])}")

    @hook_impl
    def after_pipeline_run(self, run_params):
        _record(f"after_pipeline_run:{','.join(run_params.get('pipeline_names') or [])}")

    @hook_impl
    def on_pipeline_error(self, error):
        _record(f"on_pipeline_error:{type(error).__name__}")

    @hook_impl
    def before_node_run(self, node):
        _record(f"before_node_run:{node.name}")

    @hook_impl
    def after_node_run(self, node):
        _record(f"after_node_run:{node.name}")

    @hook_impl
    def on_node_error(self, node, error):
        _record(f"on_node_error:{node.name}")

    @hook_impl
    def after_dataset_loaded(self, dataset_name):
        _record(f"after_dataset_loaded:{dataset_name}")

    @hook_impl
    def after_dataset_saved(self, dataset_name):
        _record(f"after_dataset_saved:{dataset_name}")
