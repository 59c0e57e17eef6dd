"""The benches' throwaway PostgreSQL: a real cluster on loopback, gone afterwards."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from kedro_prefect.local_server import free_port
from tests.bench.loader import load_bench


@pytest.fixture(scope="module")
def support() -> ModuleType:
    return load_bench("_support")


def test_project_copy_leaves_data_and_state_behind(support: ModuleType, tmp_path: Path) -> None:
    copy = support.copy_kedro_project(tmp_path / "p")
    assert (copy / "conf" / "base" / "catalog.yml").is_file()
    assert (copy / "conf" / "local").is_dir()
    assert not (copy / "data").exists()


def test_throwaway_postgres_serves_sql_on_loopback_then_vanishes(support: ModuleType) -> None:
    if not support.postgres_available():
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    psql = support.postgres_bin("psql")
    port = free_port()
    with support.throwaway_postgres(port) as url:
        assert url == f"postgresql+asyncpg://prefect@127.0.0.1:{port}/postgres"
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        if psql:
            answer = subprocess.run(
                [psql, "-h", "127.0.0.1", "-p", str(port), "-U", "prefect", "-d", "postgres",
                 "-tAc", "select 40 + 2"],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            assert answer.stdout.strip() == "42"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
