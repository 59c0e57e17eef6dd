"""Reading what the toy's "infra" pipeline nodes recorded about themselves."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any


def read_timeline(path: Path) -> dict[str, dict[str, Any]]:
    """The last record of each node, by node name."""
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    return {entry["node"]: entry for entry in entries}


def overlapping(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of records whose [start, end] intervals intersect."""
    return [
        (a["node"], b["node"])
        for a, b in itertools.combinations(records, 2)
        if a["start"] < b["end"] and b["start"] < a["end"]
    ]
