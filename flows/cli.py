"""``keiba-flow``: run or plan a Kedro pipeline as a Prefect flow.

    keiba-flow plan --pipeline training
    keiba-flow run  --pipeline training --env live --params "training.model.C=0.5"
    keiba-flow run  --refresh                      # ignore every node's cache
    keiba-flow run  --refresh train_win_model      # ...or just these nodes'
    keiba-flow run  --execution ray                # nodes as Ray tasks with their resources

Options mirror ``kedro run``. ``run`` prints the plan first, then the flow
run's URL in the Prefect UI, and exits non-zero if any node failed (2, with a
one-line message and nothing run, when the request itself is wrong).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from flows.config import EXECUTION_MODES


def parse_params(text: str) -> dict[str, Any]:
    """``"a.b=1,c=x"`` → ``{"a": {"b": 1}, "c": "x"}``: numbers become numbers, everything
    else stays a string, exactly as ``kedro run --params`` does (OmegaConf then merges them)."""
    params: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise argparse.ArgumentTypeError(f"--params: expected key=value, got {item!r}")
        target = params
        *parents, leaf = key.strip().split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = _number_or_text(raw.strip())
    return params


def _number_or_text(value: str) -> int | float | str:
    for convert in (int, float):
        try:
            return convert(value)
        except ValueError:
            continue
    return value


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="keiba-flow", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("run", "run a pipeline as a Prefect flow"),
                            ("plan", "print what a run would do (dry run)")):  # fmt: skip
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--pipeline", "-p", default="__default__")
        command.add_argument("--env", "-e", default=None)
        command.add_argument(
            "--params", type=parse_params, default=None, help='"key=value,other.key=value"'
        )
        command.add_argument("--tags", "-t", type=_list, default=None)
        command.add_argument("--nodes", "-n", dest="node_names", type=_list, default=None)
        command.add_argument("--from-nodes", type=_list, default=None)
        command.add_argument("--to-nodes", type=_list, default=None)
        command.add_argument("--namespaces", "-ns", type=_list, default=None)
        command.add_argument(
            "--refresh",
            nargs="?",
            const="__all__",
            default=None,
            help="ignore the cache of all nodes, or of these comma-separated nodes",
        )
        command.add_argument("--project-path", default=None)
        command.add_argument("--conf-source", default=None)
        command.add_argument(
            "--execution",
            choices=EXECUTION_MODES,
            default=None,
            help="where nodes run (default: execution.mode of prefect.yml, else local)",
        )
        command.add_argument("--json", action="store_true", help="plan: print JSON")
    return parser


def _arguments(args: argparse.Namespace) -> dict[str, Any]:
    refresh: bool | list[str] = False
    if args.refresh == "__all__":
        refresh = True
    elif args.refresh:
        refresh = _list(args.refresh)
    return {
        "pipeline": args.pipeline,
        "env": args.env,
        "params": args.params or None,
        "tags": args.tags,
        "node_names": args.node_names,
        "from_nodes": args.from_nodes,
        "to_nodes": args.to_nodes,
        "namespaces": args.namespaces,
        "refresh": refresh,
        "project_path": args.project_path,
        "conf_source": args.conf_source,
        "execution": args.execution,
    }


def main(argv: Sequence[str] | None = None) -> int:
    from flows.flow import kedro_flow, plan_pipeline

    args = build_parser().parse_args(argv)
    arguments = _arguments(args)
    try:
        plan = plan_pipeline(**arguments)
    except (FileNotFoundError, ValueError) as exc:
        # What the user asked for is wrong (no project here, an unknown pipeline or
        # node, an invalid prefect.yml): say so in one line; nothing has run.
        print(f"keiba-flow: error: {exc}", file=sys.stderr)
        return 2
    if args.command == "plan":
        print(plan.to_json() if args.json else plan.to_text())
        return 0
    print(plan.to_text(), flush=True)
    state = kedro_flow(**arguments, return_state=True)
    print(flow_run_link(state))
    return 0 if state.is_completed() else 1


def flow_run_link(state: Any) -> str:
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL

    flow_run_id = state.state_details.flow_run_id
    api = PREFECT_API_URL.value()
    ui = PREFECT_UI_URL.value() or (api.removesuffix("/api") if api else None)
    where = f"{ui}/runs/flow-run/{flow_run_id}" if ui else f"flow run {flow_run_id}"
    return f"{state.name}: {where}"


if __name__ == "__main__":
    sys.exit(main())
