"""``kedro prefect``: the plugin's commands in Kedro's own CLI.

    kedro prefect init                      # conf/base/prefect.yml (+ --deployments: prefect.yaml)
    kedro prefect plan --pipeline training  # what a run would do, node by node (dry run)
    kedro prefect run  --pipeline training --env live --params "training.model.C=0.5"
    kedro prefect run  --refresh                   # ignore every node's cache
    kedro prefect run  --refresh train_win_model   # ...or just these nodes'
    kedro prefect run  --execution ray             # nodes as Ray tasks with their resources
    kedro prefect run  --group-by namespace        # one task per namespace

Registered through the ``kedro.project_commands`` entry point, like kedro-airflow
and other Kedro plugins. The options that select what runs are ``kedro run``'s own,
parsed by Kedro's own click callbacks (``--params "a.b=true,c=null"`` reaches a
node as ``True``/``None`` exactly as with ``kedro run``); the plugin adds
``--refresh``, ``--execution``, ``--task-runner`` and ``--group-by``. ``run`` prints the
plan, then the flow run's URL, and exits 1 if a node failed; a wrong request (unknown
pipeline or node, invalid prefect.yml) is one line on stderr and exit 2, with nothing run.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from kedro.framework.cli.project import (
    CONF_SOURCE_HELP,
    FROM_INPUTS_HELP,
    FROM_NODES_HELP,
    LOAD_VERSION_HELP,
    NAMESPACES_ARG_HELP,
    NODE_ARG_HELP,
    ONLY_MISSING_OUTPUTS_HELP,
    PARAMS_ARG_HELP,
    PIPELINE_ARG_HELP,
    TAG_ARG_HELP,
    TO_NODES_HELP,
    TO_OUTPUTS_HELP,
)

# `_split_params` is the callback `kedro run --params` uses (OmegaConf's dotlist typing):
# reusing it is the only way to type parameters exactly as Kedro does; the same for
# `_split_load_versions` and `--load-versions`.
from kedro.framework.cli.utils import (
    _split_load_versions,
    _split_params,
    env_option,
    split_node_names,
    split_string,
    validate_conf_source,
)

from kedro_prefect.config import EXECUTION_MODES, GROUP_BY, TASK_RUNNERS

ALL_NODES = "*"


def selection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``kedro run``'s options that choose what runs and with which config, plus the
    plugin's ``--refresh`` and ``--execution``."""
    options = [
        click.option("--pipeline", "-p", type=str, default="__default__", help=PIPELINE_ARG_HELP),
        env_option,
        click.option("--params", type=click.UNPROCESSED, default="", help=PARAMS_ARG_HELP,
                     callback=_split_params),
        click.option("--tags", "-t", type=str, default="", help=TAG_ARG_HELP,
                     callback=split_string),
        click.option("--nodes", "-n", "node_names", type=str, default="", help=NODE_ARG_HELP,
                     callback=split_node_names),
        click.option("--from-nodes", type=str, default="", help=FROM_NODES_HELP,
                     callback=split_node_names),
        click.option("--to-nodes", type=str, default="", help=TO_NODES_HELP,
                     callback=split_node_names),
        click.option("--from-inputs", type=str, default="", help=FROM_INPUTS_HELP,
                     callback=split_string),
        click.option("--to-outputs", type=str, default="", help=TO_OUTPUTS_HELP,
                     callback=split_string),
        click.option("--namespaces", "-ns", type=str, default="", help=NAMESPACES_ARG_HELP,
                     callback=split_node_names),
        click.option("--conf-source", callback=validate_conf_source, help=CONF_SOURCE_HELP),
        click.option("--load-versions", "-lv", type=str, default="", help=LOAD_VERSION_HELP,
                     callback=_split_load_versions),
        click.option("--only-missing-outputs", is_flag=True, help=ONLY_MISSING_OUTPUTS_HELP),
        click.option("--refresh", is_flag=False, flag_value=ALL_NODES, default="",
                     help="Ignore the cache of every node (bare flag) or of these "
                          "comma-separated nodes."),
        click.option("--execution", type=click.Choice(EXECUTION_MODES), default=None,
                     help="Where nodes run (default: execution.mode of prefect.yml, else local)."),
        click.option("--task-runner", type=click.Choice(TASK_RUNNERS), default=None,
                     help="How nodes run on this machine: sequential (default, as kedro run), "
                          "threads or processes (default: execution.task_runner of prefect.yml)."),
        click.option("--group-by", type=click.Choice(GROUP_BY), default=None,
                     help="Run the nodes of a namespace (or of a tag of grouping.tags) as one "
                          "task; none: one task per node, explicit groups kept (default: "
                          "grouping.by of prefect.yml)."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


def parse_params(text: str) -> dict[str, Any]:
    """``"a.b=true,c=null"`` → ``{"a": {"b": True}, "c": None}``: typed exactly as
    ``kedro run --params`` types it (for callers outside the CLI)."""
    return _split_params(click.Context(run), None, text) or {}


def flow_arguments(metadata: Any, options: dict[str, Any]) -> dict[str, Any]:
    """The CLI's options as :func:`~kedro_prefect.flow.kedro_flow`'s parameters."""
    refresh_text = options.pop("refresh")
    refresh: bool | list[str] = (
        True if refresh_text == ALL_NODES else split_string(None, None, refresh_text) or False
    )
    arguments = {name: (value or None) for name, value in options.items()}
    arguments.update(
        pipeline=options["pipeline"],
        refresh=refresh,
        only_missing_outputs=bool(options.get("only_missing_outputs")),
        project_path=str(metadata.project_path),
    )
    return arguments


def _request_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """What the user asked for is wrong (an unknown pipeline or node, an invalid
    prefect.yml, inputs that do not exist): one line on stderr, exit 2; nothing has run."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (FileNotFoundError, ValueError) as exc:
            click.echo(f"kedro prefect: error: {exc}", err=True)
            sys.exit(2)

    return wrapper


@click.group(name="Kedro-Prefect")
def commands() -> None:
    """Kedro-Prefect commands."""


@commands.group(name="prefect")
def prefect() -> None:
    """Run Kedro pipelines as Prefect flows: one task per node, cached, resumable."""


@prefect.command()
@selection_options
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.pass_obj
@_request_errors
def plan(metadata: Any, as_json: bool, **options: Any) -> None:
    """Print what a run would do now, node by node: wave, infra, cache hit/miss (dry run)."""
    from kedro_prefect.project import plan_pipeline  # Kedro only: no Prefect to import

    planned = plan_pipeline(**flow_arguments(metadata, options))
    click.echo(planned.to_json() if as_json else planned.to_text())
    planned.check_runnable()  # a run could not start on it: say so as an error too


@prefect.command()
@selection_options
@click.pass_obj
def run(metadata: Any, **options: Any) -> None:
    """Run a pipeline as a Prefect flow run, one task run per node."""
    from kedro_prefect.project import prepared_run

    arguments = flow_arguments(metadata, options)
    with contextlib.ExitStack() as stack:
        # The session and the plan, made once (the flow run takes them over). A wrong
        # request or inputs that do not exist fail here, before a flow run exists.
        _request_errors(lambda: stack.enter_context(prepared_run(**arguments)))()
        from kedro_prefect.flow import kedro_flow

        state = kedro_flow(**arguments, return_state=True)
    click.echo(flow_run_line(state))
    if not state.is_completed():
        sys.exit(1)


@prefect.command()
@click.option(
    "--deployments",
    is_flag=True,
    help="Also write prefect.yaml with one deployment per registered pipeline.",
)
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
@click.pass_obj
def init(metadata: Any, deployments: bool, force: bool) -> None:
    """Set the project up: conf/base/prefect.yml and the state folder in .gitignore."""
    from kedro_prefect.scaffold import write_scaffold

    for line in write_scaffold(Path(metadata.project_path), deployments=deployments,
                               force=force):  # fmt: skip
        click.echo(line)


def flow_run_line(state: Any) -> str:
    """The flow run's final state and where to see it (its task runs hold every
    node's logs and full traceback)."""
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL

    flow_run_id = state.state_details.flow_run_id
    api = PREFECT_API_URL.value()
    ui = PREFECT_UI_URL.value() or (api.removesuffix("/api") if api else None)
    where = f"{ui}/runs/flow-run/{flow_run_id}" if ui else f"flow run {flow_run_id}"
    line = f"{state.name}: {where}"
    if not state.is_completed() and state.message:
        line += f"\n{state.message}\n(full tracebacks: the failed task runs' logs at the URL above)"
    return line
