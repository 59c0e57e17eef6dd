"""Git tags on the MLflow run: which commit ran, and whether the tree was dirty.

kedro-mlflow tags neither (MLflow's own ``mlflow.source.git.commit`` is only set for
``mlflow run`` projects). Tagged once per run, from the process that starts it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl


class GitTags:
    """Tags ``git.commit``, ``git.dirty`` and ``mlflow.source.git.commit``."""

    def __init__(self) -> None:
        self._project = Path.cwd()

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        self._project = Path(context.project_path)

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        import mlflow

        if mlflow.active_run() is None:  # tracking is off for this pipeline
            return
        commit, dirty = git_state(self._project)
        if commit:
            mlflow.set_tags({"git.commit": commit, "git.dirty": str(dirty).lower(),
                             "mlflow.source.git.commit": commit})  # fmt: skip


def git_state(folder: Path) -> tuple[str | None, bool]:
    """(HEAD commit, uncommitted changes?) of the repository holding ``folder``."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain"], cwd=folder, capture_output=True, text=True,
            check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None, False
    return commit or None, bool(status.strip())
