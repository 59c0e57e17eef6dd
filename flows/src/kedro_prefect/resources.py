"""What the machine (or the Ray cluster) a run executes on can offer.

The plan compares each infra class's request with this, so a request that
no machine can satisfy fails before anything runs (on Ray it would otherwise
wait forever for resources that never come), naming the class and the node.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NVIDIA_PROC = Path("/proc/driver/nvidia/gpus")


@dataclass(frozen=True)
class Capacity:
    """The largest single machine available: what one node can be given at most."""

    cpus: float
    gpus: float
    memory: int | None  # bytes; None when unknown
    where: str  # described in error messages: "this machine", "the Ray cluster at ..."


def visible_gpus() -> int:
    """GPUs this process may use: ``CUDA_VISIBLE_DEVICES`` when set (as CUDA reads it),
    else the NVIDIA devices the driver lists. No CUDA library is needed to ask."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"])
    return len(list(NVIDIA_PROC.iterdir())) if NVIDIA_PROC.is_dir() else 0


def machine_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return None


def local_capacity() -> Capacity:
    return Capacity(
        cpus=float(os.cpu_count() or 1),
        gpus=float(visible_gpus()),
        memory=machine_memory(),
        where="this machine",
    )


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ImportError(
            "execution mode 'ray' needs Ray and prefect-ray: install the 'ray' extra "
            "(uv sync --extra ray, or make setup)"
        ) from None
    return ray


def ray_capacity(address: str | None, init: Mapping[str, Any]) -> Capacity | None:
    """The biggest node of the Ray cluster the run will use, or None while that cannot
    be known without connecting (a remote cluster; checked again once connected).

    A connected Ray (this process already called ``ray.init``) is asked directly; a
    local Ray the run would start offers what ``init`` declares, else this machine."""
    ray = import_ray()
    if ray.is_initialized():
        return connected_ray_capacity()
    if address or os.environ.get("RAY_ADDRESS"):
        return None
    machine = local_capacity()
    return Capacity(
        cpus=float(init.get("num_cpus", machine.cpus)),
        gpus=float(init.get("num_gpus", machine.gpus)),
        memory=init.get("memory", machine.memory),
        where="the local Ray this run starts",
    )


def connected_ray_capacity() -> Capacity:
    ray = import_ray()

    nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive", n.get("alive"))]
    if not nodes:
        nodes = [ray.cluster_resources()]
    biggest = {
        key: max(float(n.get(key, 0)) for n in nodes) for key in ("CPU", "GPU", "memory")
    }  # fmt: skip
    return Capacity(
        cpus=biggest["CPU"],
        gpus=biggest["GPU"],
        memory=int(biggest["memory"]) or None,
        where=f"the Ray cluster ({len(nodes)} node(s))",
    )


def shortfall(request: Mapping[str, float | int | None], capacity: Capacity) -> str | None:
    """Why ``request`` (num_cpus, num_gpus, memory) cannot fit on ``capacity``, or None."""
    wanted = {
        "num_gpus": (request.get("num_gpus"), capacity.gpus, "GPU(s)"),
        "num_cpus": (request.get("num_cpus"), capacity.cpus, "CPU(s)"),
        "memory": (request.get("memory"), capacity.memory, "bytes of memory"),
    }
    for key, (amount, available, unit) in wanted.items():
        if amount and available is not None and amount > available:
            return f"{key}={amount:g} but {capacity.where} has at most {available:g} {unit}"
    return None
