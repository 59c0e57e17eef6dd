"""``keiba parse FILE...``: parse saved pages and print one JSON object per line.

Meant for checking what the parser makes of a page and for ad-hoc batch
conversions: each page becomes ``json.dumps(page.to_json(), ensure_ascii=False)``
on stdout; a page that fails becomes an ``error: FILE: reason`` line on stderr
and the run goes on, exiting 1 at the end if anything failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.parsing import parse_page
from forecast_keiba.netkeiba.parsing.allocator import tune_allocator


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``parse`` subcommand to an argparse ``add_subparsers()`` object.

    The subcommand's handler is stored as ``func`` in the parsed namespace:
    ``sys.exit(args.func(args))`` runs it and exits with its status (0, or 1
    if any page failed).
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "parse",
        help="parse saved netkeiba pages into JSON lines",
        description=__doc__,
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="saved HTML pages")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """The ``parse`` subcommand: parse ``args.files`` to stdout/stderr; the exit status."""
    return parse_files(args.files, sys.stdout, sys.stderr)


def parse_files(paths: Iterable[Path], out: TextIO, err: TextIO) -> int:
    """Parse each file to a JSON line on ``out``; errors to ``err``. 1 if any failed, else 0."""
    tune_allocator()
    failed = 0
    for path in paths:
        try:
            page = parse_page(path.read_bytes(), str(path))
        except ParseError as exc:
            failed += 1
            print(f"error: {path}: {exc.reason}", file=err)
            continue
        except OSError as exc:
            failed += 1
            print(f"error: {path}: {exc.strerror or exc}", file=err)
            continue
        except Exception as exc:  # a parser bug must not stop a batch of thousands
            failed += 1
            print(f"error: {path}: internal {type(exc).__name__}: {exc}", file=err)
            continue
        out.write(json.dumps(page.to_json(), ensure_ascii=False) + "\n")
    return 1 if failed else 0
