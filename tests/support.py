"""Helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import yaml

from netkeiba_replica.world import World, WorldConfig

REPO = Path(__file__).resolve().parents[1]
KEDRO_PROJECT = REPO / "kedro_project"
SHARED = REPO.parent / "shared" / "netkeiba"


def make_conf(target: Path, world: WorldConfig | None = None) -> Path:
    """A copy of the project's conf whose data_root is a folder of ``target``
    (and whose ``source.embedded_replica`` describes ``world``: the world a test
    serves, so that the ground truth, the oracle's, is that world's)."""
    conf = target / "conf"
    shutil.copytree(KEDRO_PROJECT / "conf", conf, ignore=shutil.ignore_patterns("local"))
    (conf / "local").mkdir()
    globals_file = conf / "base" / "globals.yml"
    values = yaml.safe_load(globals_file.read_text())
    values["data_root"] = str(target / "data")
    values["shared_data"] = str(SHARED / "data")
    globals_file.write_text(yaml.safe_dump(values))
    if world is not None:
        parameters = conf / "base" / "parameters.yml"
        params = yaml.safe_load(parameters.read_text())
        params["source"]["embedded_replica"] = embedded_replica(world)
        assert world == dataclasses.replace(
            WorldConfig.from_params(params["source"]["embedded_replica"]), rates=world.rates
        ), "make_conf: this world has settings embedded_replica cannot express"
        parameters.write_text(yaml.safe_dump(params, allow_unicode=True))
    return conf


def write_replica_tables(world: World, data_root: Path) -> None:
    """The tables the scraping + preprocessing pipelines would write for ``world``
    (parsed from its pages, without HTTP), and its ground truth: what the
    training pipeline reads."""
    from forecast_keiba.data.tables import tables_from_pages
    from netkeiba_replica.kedro_hook import replica_ground_truth

    tables = tables_from_pages(
        (rid, lambda rid=rid: world.result_page(rid)) for rid in world.run_race_ids()
    )
    (data_root / "02_intermediate").mkdir(parents=True, exist_ok=True)
    (data_root / "01_raw").mkdir(parents=True, exist_ok=True)
    for name in ("races", "entries", "payouts"):
        getattr(tables, name).to_parquet(data_root / "02_intermediate" / f"{name}.parquet")
    truth = replica_ground_truth(world)
    truth.to_parquet(data_root / "01_raw" / "ground_truth.parquet")


def embedded_replica(world: WorldConfig) -> dict[str, object]:
    """``source.embedded_replica`` parameters describing ``world``."""
    return {"seed": world.seed, "start_date": world.start_date.isoformat(),
            "n_days": world.n_days, "races_per_day": world.races_per_day,
            "upcoming_days": world.upcoming_days}  # fmt: skip


def listening_addresses(port: int) -> set[str]:
    """The addresses something on this machine is listening on at TCP ``port``, as the
    kernel reports them (/proc/net/tcp, tcp6): what a server really bound, whatever
    its configuration says. ``0.0.0.0`` / ``::`` mean every interface."""
    import ipaddress

    found = set()
    for table, width in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, port_hex = local.split(":")
            if state != "0A" or int(port_hex, 16) != port:  # 0A = LISTEN
                continue
            raw = bytes.fromhex(address)
            # the kernel prints each 32-bit word in host (little-endian) order
            packed = b"".join(raw[i : i + 4][::-1] for i in range(0, width, 4))
            found.add(str(ipaddress.ip_address(packed)))
    return found
