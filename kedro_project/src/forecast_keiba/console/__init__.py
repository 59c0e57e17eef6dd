"""The ``keiba`` command, the app's command layer: parse saved pages, run the demo,
open the MLflow UI.

(Not ``cli.py``: Kedro reserves ``<package>/cli.py`` for plugins of the ``kedro`` command.
The offline replica has a command of its own, ``keiba-replica``.)

Each subcommand lives next to the code it drives and registers itself here,
so this file only assembles them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import no_telemetry  # noqa: F401  (telemetry off before any subcommand loads its tools)


def build_parser() -> argparse.ArgumentParser:
    # Here, not at the top: importing this package (for console.ports, say) must not
    # load what the subcommands drive (MLflow, Kedro).
    from forecast_keiba.console import demo
    from forecast_keiba.netkeiba.parsing import cli as parse_cli
    from forecast_keiba.tracking import ui as mlflow_ui

    parser = argparse.ArgumentParser(prog="keiba", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    subparsers = parser.add_subparsers(dest="command", required=True)
    parse_cli.register(subparsers)
    demo.register(subparsers)
    mlflow_ui.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
