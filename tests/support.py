"""Helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
KEDRO_PROJECT = REPO / "kedro_project"
SHARED = REPO.parent / "shared" / "netkeiba"


def make_conf(target: Path) -> Path:
    """A copy of the project's conf whose data_root is a folder of ``target``."""
    conf = target / "conf"
    shutil.copytree(KEDRO_PROJECT / "conf", conf, ignore=shutil.ignore_patterns("local"))
    (conf / "local").mkdir()
    globals_file = conf / "base" / "globals.yml"
    values = yaml.safe_load(globals_file.read_text())
    values["data_root"] = str(target / "data")
    values["shared_data"] = str(SHARED / "data")
    globals_file.write_text(yaml.safe_dump(values))
    return conf
