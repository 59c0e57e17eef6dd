"""The Kedro side of a run: the project, its session as ``kedro run`` opens it,
its ``prefect.yml``, and the plan.

Nothing here imports Prefect, so ``kedro prefect plan`` costs what Kedro costs.
``kedro prefect run`` opens the session and plans once, before its flow run starts
(:func:`prepared_run`: a wrong request fails there, with nothing run), and the
flow run takes both over instead of opening and planning again
(:func:`take_prepared`). A flow run started any other way (a deployment, a retry,
``kedro_flow()`` in a notebook) opens its own.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kedro.config import MissingConfigException

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from kedro.pipeline import Pipeline

from kedro_prefect.config import (
    CONFIG_KEY,
    CONFIG_PATTERNS,
    OrchestrationConfig,
    TaskRunnerChoice,
)
from kedro_prefect.execution import ExecutionTarget
from kedro_prefect.plan import Plan, build_plan
from kedro_prefect.tracking import tracking_environment_kept

PROJECT_ENV = "KEDRO_PROJECT_PATH"
STATE_ENV = "KEDRO_PREFECT_STATE_DIR"
# `kedro run`'s pipeline filters, under KedroSession.run's argument names.
FILTERS = ("tags", "node_names", "from_nodes", "to_nodes", "from_inputs", "to_outputs",
           "namespaces")  # fmt: skip


def find_project(project_path: str | os.PathLike[str] | None = None) -> Path:
    """The Kedro project to run: the argument, ``$KEDRO_PROJECT_PATH``, or the
    nearest folder upwards from the working directory with ``[tool.kedro]``."""
    candidate = project_path or os.environ.get(PROJECT_ENV)
    if candidate:
        path = Path(candidate).resolve()
        if not _is_kedro_project(path):
            raise FileNotFoundError(f"{path} is not a Kedro project (no [tool.kedro] in pyproject)")
        return path
    for path in [Path.cwd(), *Path.cwd().parents]:
        if _is_kedro_project(path):
            return path
    raise FileNotFoundError(
        f"no Kedro project found from {Path.cwd()} upwards; pass project_path or set {PROJECT_ENV}"
    )


def _is_kedro_project(path: Path) -> bool:
    pyproject = path / "pyproject.toml"
    if not pyproject.is_file():
        return False
    with pyproject.open("rb") as handle:
        return "kedro" in tomllib.load(handle).get("tool", {})


def load_orchestration_config(context: Any) -> OrchestrationConfig:
    """``prefect.yml`` from the session's config loader (so ``--env`` and
    ``conf/local`` override it like any Kedro config); absent means defaults.

    Environments are deep-merged over base ("soft", unless the project's
    settings say otherwise): a ``conf/prod/prefect.yml`` that changes one
    node's retries keeps every other setting of base."""
    loader = context.config_loader
    loader.config_patterns.setdefault(CONFIG_KEY, CONFIG_PATTERNS)
    loader.merge_strategy.setdefault(CONFIG_KEY, "soft")
    try:
        raw = loader[CONFIG_KEY]
    except (MissingConfigException, KeyError):
        raw = {}
    return OrchestrationConfig.from_mapping(raw)


def state_dir(project: Path, config: OrchestrationConfig) -> Path:
    """The project's state folder (see ``state_dir`` in prefect.yml): never inside the
    project's tracked tree unless configured so, and the same for every process that
    runs this checkout (keyed by the project's absolute path)."""
    if config.state_dir:
        return (project / Path(config.state_dir).expanduser()).resolve()
    root = os.environ.get(STATE_ENV) or os.path.join(
        os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state", "kedro-prefect"
    )
    digest = hashlib.sha256(str(project.resolve()).encode()).hexdigest()[:12]
    return Path(root).expanduser() / f"{project.name}-{digest}"


@contextmanager
def in_project(project: Path) -> Iterator[None]:
    """Work from the project folder, as ``kedro run`` does: Kedro makes catalog
    paths absolute, but relative paths in parameters (caches, exports) are
    relative to the working directory."""
    previous = Path.cwd()
    os.chdir(project)
    try:
        yield
    finally:
        os.chdir(previous)


def filtered_pipeline(
    pipelines: dict[str, Pipeline],
    name: str,
    *,
    tags: list[str] | None = None,
    node_names: list[str] | None = None,
    from_nodes: list[str] | None = None,
    to_nodes: list[str] | None = None,
    from_inputs: list[str] | None = None,
    to_outputs: list[str] | None = None,
    namespaces: list[str] | None = None,
) -> Pipeline:
    """The pipeline ``kedro run`` would run for these filters (as KedroSession.run does)."""
    if name not in pipelines:
        known = ", ".join(sorted(pipelines))
        raise ValueError(f"no pipeline named {name!r}; registered: {known}")
    return pipelines[name].filter(
        tags=tags,
        from_nodes=from_nodes,
        to_nodes=to_nodes,
        node_names=node_names,
        from_inputs=from_inputs,
        to_outputs=to_outputs,
        node_namespaces=namespaces,
    )


def apply_project_logging(project: Path) -> None:
    """The project's ``conf/logging.yml``, as ``kedro run`` in the project folder
    applies it. Kedro reads it from the working directory once, at import: a flow
    run started elsewhere (a worker in the repository root, a retry from another
    shell) would otherwise log with Kedro's defaults. ``$KEDRO_LOGGING_CONFIG``
    still wins, as with Kedro."""
    if os.environ.get("KEDRO_LOGGING_CONFIG"):
        return
    found = next((project / "conf" / f"logging{ext}" for ext in (".yml", ".yaml")
                  if (project / "conf" / f"logging{ext}").is_file()), None)  # fmt: skip
    if found is None or Path.cwd().resolve() == project.resolve():
        return  # none, or Kedro has already applied it
    import yaml
    from kedro.framework.project import LOGGING

    with in_project(project):  # its handlers' relative paths (info.log) are the project's
        LOGGING.configure(yaml.safe_load(found.read_text(encoding="utf-8")))


# What kedro_session opens: (project path, package name, session, context, prefect.yml).
Opened = tuple[Path, str, KedroSession, Any, OrchestrationConfig]


@contextmanager
def kedro_session(
    project_path: str | None,
    env: str | None,
    params: dict[str, Any] | None,
    conf_source: str | None,
) -> Iterator[Opened]:
    """A session of the project as ``kedro run`` would open it, from the project
    folder: (project path, package name, session, context, prefect.yml)."""
    project = find_project(project_path)
    metadata = bootstrap_project(project)
    apply_project_logging(project)
    with (
        in_project(project),
        tracking_environment_kept(),
        KedroSession.create(
            project_path=project, env=env, runtime_params=params, conf_source=conf_source
        ) as session,
    ):
        context = session.load_context()
        yield project, metadata.package_name, session, context, load_orchestration_config(context)


SESSION_ARGUMENTS = ("project_path", "env", "params", "conf_source")


@dataclass
class PreparedRun:
    """A run's Kedro session and plan, made before its flow run starts."""

    arguments: dict[str, Any]  # the flow's arguments it was made for, pipeline included
    opened: Opened
    plan: Plan
    taken: bool = False  # a session runs once: a second attempt in-process opens its own


_offered: list[PreparedRun] = []  # the prepared runs of the open prepared_run blocks


@contextmanager
def prepared_run(pipeline: str = "__default__", **arguments: Any) -> Iterator[PreparedRun]:
    """Open the session and plan a run (arguments as :func:`~kedro_prefect.flow.kedro_flow`
    takes them), refusing a run that cannot start (:meth:`Plan.check_runnable`); a
    flow run started inside the block with the same arguments takes both over."""
    with kedro_session(**{k: arguments.get(k) for k in SESSION_ARGUMENTS}) as opened:
        prepared = PreparedRun({"pipeline": pipeline, **arguments}, opened,
                               _plan(opened, pipeline, arguments).check_runnable())  # fmt: skip
        _offered.append(prepared)
        try:
            yield prepared
        finally:
            _offered.remove(prepared)


def take_prepared(arguments: dict[str, Any]) -> PreparedRun | None:
    """The prepared run made for a flow run with these arguments, not yet taken."""
    for prepared in reversed(_offered):
        if not prepared.taken and _asked(prepared.arguments) == _asked(arguments):
            prepared.taken = True
            return prepared
    return None


def _asked(arguments: dict[str, Any]) -> dict[str, Any]:
    """What was asked, defaults left out (the CLI passes None where a flow has [])."""
    return {k: v for k, v in arguments.items() if v not in (None, False, "", [], (), {})}


def plan_pipeline(
    pipeline: str = "__default__",
    *,
    env: str | None = None,
    params: dict[str, Any] | None = None,
    refresh: bool | list[str] = False,
    project_path: str | None = None,
    conf_source: str | None = None,
    execution: str | None = None,
    task_runner: str | None = None,
    group_by: str | None = None,
    load_versions: dict[str, str] | None = None,
    only_missing_outputs: bool = False,
    **filters: Any,
) -> Plan:
    """The dry-run plan of a pipeline: what :func:`~kedro_prefect.flow.kedro_flow` would
    do now (outside a flow run: nodes with a work pool are placed as from no pool)."""
    arguments = {
        "refresh": refresh, "execution": execution, "task_runner": task_runner,
        "group_by": group_by, "load_versions": load_versions,
        "only_missing_outputs": only_missing_outputs, **filters,
    }  # fmt: skip
    with kedro_session(project_path, env, params, conf_source) as opened:
        return _plan(opened, pipeline, arguments)


def _plan(opened: Opened, pipeline: str, arguments: dict[str, Any]) -> Plan:
    from kedro.framework.project import pipelines

    project, _, _, context, config = opened
    filters = {k: arguments.get(k) for k in FILTERS}
    selected = filtered_pipeline(dict(pipelines), pipeline, **filters)
    load_versions = arguments.get("load_versions") or None
    # The catalog KedroSession.run builds: with the pinned versions (Kedro has no
    # public way to ask a context for it), and the pipeline its runner runs.
    catalog = context._get_catalog(load_versions=load_versions)
    if arguments.get("only_missing_outputs"):
        from kedro_prefect.runner import PrefectRunner  # Kedro's own filter, on a runner

        selected = PrefectRunner(
            config, state_dir=state_dir(project, config)
        )._filter_pipeline_for_missing_outputs(selected, catalog)
    return build_plan(
        selected,
        catalog,
        config,
        pipeline_name=pipeline,
        refresh=arguments.get("refresh") or False,
        state_dir=state_dir(project, config),
        target=ExecutionTarget.resolve(config, arguments.get("execution")),
        task_runner=TaskRunnerChoice.resolve(config, arguments.get("task_runner")),
        group_by=arguments.get("group_by"),
    )
