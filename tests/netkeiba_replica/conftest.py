"""Shared worlds and a running server for the replica tests.

Worlds are module/session scoped: generating one is fast (well under a second
for these sizes) but the larger ones are used by several tests.
"""

from __future__ import annotations

import pytest

from netkeiba_replica.server import ReplicaServer
from netkeiba_replica.simulate import Rates
from netkeiba_replica.world import World, WorldConfig


@pytest.fixture(scope="session")
def small_world() -> World:
    """A few dozen run races and two upcoming days."""
    return World(WorldConfig(seed=7, n_days=2, races_per_day=24, upcoming_days=2))


@pytest.fixture(scope="session")
def eventful_world() -> World:
    """A few dozen races with every rare event made common, for round trips."""
    rates = Rates(
        scratch=0.04,
        exclude=0.04,
        pull_up=0.05,
        disqualify=0.25,
        demote=0.3,
        dead_heat_win=0.3,
        dead_heat_other=0.3,
        unmeasured_weight=0.05,
    )
    return World(WorldConfig(seed=11, n_days=3, races_per_day=24, upcoming_days=1, rates=rates))


@pytest.fixture(scope="session")
def large_world() -> World:
    """~3,000 run races (about 40k entries): enough for rates and calibration."""
    return World(WorldConfig(seed=2024, n_days=124, races_per_day=24, upcoming_days=2))


@pytest.fixture(scope="module")
def server(small_world: World):
    with ReplicaServer(small_world) as srv:
        yield srv
