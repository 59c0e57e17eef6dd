"""What several bench scripts share: a copy of the Kedro project to run in, and a
throwaway PostgreSQL cluster for a Prefect server that is not held back by SQLite.

Bench scripts run as ``python bench/<script>.py`` (this folder is then first on
``sys.path``), so they import this module as ``_support``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KEDRO_PROJECT = REPO / "kedro_project"


def copy_kedro_project(target: Path) -> Path:
    """``kedro_project/`` without its data or state, so ``data_root: data`` lands in the copy."""
    shutil.copytree(KEDRO_PROJECT, target, ignore=_project_state)
    (target / "conf" / "local").mkdir(exist_ok=True)
    return target


def _project_state(directory: str, names: list[str]) -> set[str]:
    """What copy_kedro_project leaves out: the project's data folder (not the package's
    ``forecast_keiba/data/`` stage), caches and run state."""
    left_out = shutil.ignore_patterns(
        ".kedro_prefect", "__pycache__", "notebooks", ".telemetry", "info.log"
    )(directory, names)
    if Path(directory) == KEDRO_PROJECT and "data" in names:
        left_out.add("data")
    return left_out


def postgres_bin(name: str) -> str | None:
    """A PostgreSQL server program (``initdb``, ``pg_ctl``): on PATH, else Debian's
    versioned folder, where the server package leaves them off PATH."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _run_as() -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the ``postgres`` user."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError(
            "PostgreSQL cannot run as root and there is no 'postgres' user to run it as"
        ) from None
    return ["runuser", "-u", "postgres", "--"]


def postgres_available() -> bool:
    return bool(postgres_bin("initdb") and postgres_bin("pg_ctl"))


@contextmanager
def throwaway_postgres(port: int) -> Iterator[str]:
    """A fresh PostgreSQL cluster on 127.0.0.1:``port`` in a temp dir, stopped and
    removed afterwards; yields its SQLAlchemy URL for Prefect (asyncpg driver).

    Server settings are PostgreSQL's defaults (fsync on): the point is a realistic
    production database, not a fast one."""
    initdb, pg_ctl = postgres_bin("initdb"), postgres_bin("pg_ctl")
    if not (initdb and pg_ctl):
        raise RuntimeError("no PostgreSQL server programs (initdb, pg_ctl) on this machine")
    run_as = _run_as()
    root = Path(tempfile.mkdtemp(prefix="bench_postgres_"))
    if run_as:
        shutil.chown(root, user="postgres")
    data, log = root / "data", root / "server.log"
    try:
        subprocess.run(
            [*run_as, initdb, "-D", str(data), "-A", "trust", "-U", "prefect", "-E", "UTF8"],
            check=True, capture_output=True,
        )  # fmt: skip
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
        subprocess.run(
            [*run_as, pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start"],
            check=True, capture_output=True,
        )  # fmt: skip
        try:
            yield f"postgresql+asyncpg://prefect@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                [*run_as, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"],
                check=False, capture_output=True,
            )  # fmt: skip
    except subprocess.CalledProcessError as exc:
        output = (exc.stderr or b"").decode(errors="replace")[-2000:]
        raise RuntimeError(f"PostgreSQL failed: {' '.join(exc.cmd[:2])}: {output}") from exc
    finally:
        shutil.rmtree(root, ignore_errors=True)
