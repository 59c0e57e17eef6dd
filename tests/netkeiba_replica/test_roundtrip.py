"""Round trip: every page fetched from the running replica over HTTP and parsed
with the project's parser equals the world's model object, field by field.

``parse(render(x)) == x`` is the replica's contract with the parser; a failure
here names the page, the field and both values.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator

import httpx
import pytest

from forecast_keiba.netkeiba.model import (
    HorseProfilePage,
    NoRacePage,
    RaceCardPage,
    RaceListPage,
)
from netkeiba_replica.server import ReplicaServer
from netkeiba_replica.world import World

parsing = pytest.importorskip("forecast_keiba.netkeiba.parsing")


def _diff(expected: object, got: object, where: str) -> Iterator[str]:
    """Readable differences between two model objects (floats to 1e-6)."""
    if dataclasses.is_dataclass(expected) and dataclasses.is_dataclass(got):
        for f in dataclasses.fields(expected):
            if f.name == "source":
                continue
            yield from _diff(
                getattr(expected, f.name), getattr(got, f.name, None), f"{where}.{f.name}"
            )
    elif isinstance(expected, tuple) and isinstance(got, tuple) and len(expected) == len(got):
        for i, (a, b) in enumerate(zip(expected, got, strict=True)):
            yield from _diff(a, b, f"{where}[{i}]")
    elif isinstance(expected, float) and isinstance(got, float):
        if not math.isclose(expected, got, abs_tol=1e-6):
            yield f"{where}: expected {expected!r}, parsed {got!r}"
    elif expected != got or type(expected) is not type(got):
        yield f"{where}: expected {expected!r}, parsed {got!r}"


def _fetch_parse(client: httpx.Client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    return parsing.parse_page(response.content, url)


def _check(expected, got, where: str) -> list[str]:
    assert type(got) is type(expected), f"{where}: parsed a {type(got).__name__}"
    return list(_diff(expected, got, where))


@pytest.fixture(scope="module", params=["small", "eventful"])
def world(request, small_world: World, eventful_world: World) -> World:
    return small_world if request.param == "small" else eventful_world


@pytest.fixture(scope="module")
def served(world: World):
    with ReplicaServer(world) as srv, httpx.Client(timeout=30) as client:
        yield world, srv, client


def test_result_pages_round_trip(served) -> None:
    world, srv, client = served
    problems: list[str] = []
    for rid in world.run_race_ids():
        got = _fetch_parse(client, srv.urls.race_result(rid))
        problems += _check(world.result_page(rid), got, rid)
    assert not problems, "\n".join(problems[:30])
    # Every page was fetched exactly once.
    assert max(srv.fetch_counts().values()) == 1


def test_race_cards_round_trip(served) -> None:
    world, srv, client = served
    problems: list[str] = []
    for rid in world.race_ids:  # run and upcoming races
        got = _fetch_parse(client, srv.urls.race_card(rid))
        assert isinstance(got, RaceCardPage)
        problems += _check(world.race_card(rid), got, f"card {rid}")
    assert not problems, "\n".join(problems[:30])


def test_day_lists_round_trip(served) -> None:
    world, srv, client = served
    for day in world.racing_days() + world.upcoming_days():
        got = _fetch_parse(client, srv.urls.day_list(day))
        assert isinstance(got, RaceListPage)
        assert not _check(world.day_list(day), got, f"day {day}")
        got = _fetch_parse(client, srv.urls.upcoming_list(day))
        assert not _check(world.upcoming_list(day), got, f"race_list_sub {day}")
        assert len(got.race_ids) == world.config.races_per_day


def test_no_race_pages_round_trip(served) -> None:
    world, srv, client = served
    for rid in ("209901010101", world.race_ids_on(world.today)[0]):
        got = _fetch_parse(client, srv.urls.race_result(rid))
        assert isinstance(got, NoRacePage)
        assert not _check(world.no_race_page(rid), got, f"no race {rid}")


def test_horse_profiles_round_trip(served) -> None:
    world, srv, client = served
    problems: list[str] = []
    horses = {
        e.horse_id for rid in world.run_race_ids()[:6] for e in world.result_page(rid).entries
    }
    for hid in sorted(horses):
        got = _fetch_parse(client, srv.urls.horse(hid))
        assert isinstance(got, HorseProfilePage)
        problems += _check(world.horse_profile(hid), got, f"horse {hid}")
    assert not problems, "\n".join(problems[:30])


def test_eventful_world_covers_every_status(eventful_world: World) -> None:
    """The eventful world really exercises the rare rows the round trip checks."""
    seen = {
        e.finish_status
        for rid in eventful_world.run_race_ids()
        for e in eventful_world.result_page(rid).entries
    }
    assert seen == {"finished", "demoted", "pulled_up", "disqualified", "excluded", "scratched"}
    margins = {
        e.margin
        for rid in eventful_world.run_race_ids()
        for e in eventful_world.result_page(rid).entries
    }
    assert "同着" in margins
    dead_heats = [
        rid
        for rid in eventful_world.run_race_ids()
        if sum(p.bet_type == "win" for p in eventful_world.result_page(rid).payouts) == 2
    ]
    assert dead_heats


def test_bare_models_round_trip_without_context(small_world: World) -> None:
    """Renderers work from the model object alone (no world context)."""
    from netkeiba_replica import render

    w = small_world
    rid = w.run_race_ids()[2]
    up = w.race_ids_on(w.today)[0]
    day = w.racing_days()[0]
    card_url = f"https://race.netkeiba.com/race/shutuba.html?race_id={up}"
    sub_url = f"https://race.netkeiba.com/top/race_list_sub.html?kaisai_date={w.today:%Y%m%d}"
    horse = w.result_page(rid).entries[0].horse_id
    cases = [
        (w.result_page(rid), render.render_result_page(w.result_page(rid)), "x"),
        (w.race_card(up), render.render_race_card(w.race_card(up)), card_url),
        (w.day_list(day), render.render_day_list(w.day_list(day)), "x"),
        (w.upcoming_list(w.today), render.render_race_list_sub(w.upcoming_list(w.today)), sub_url),
        (
            w.no_race_page("209901010101"),
            render.render_no_race_page(w.no_race_page("209901010101")),
            "x",
        ),
        (w.horse_profile(horse), render.render_horse_profile(w.horse_profile(horse)), "x"),
    ]
    for expected, html, source in cases:
        got = parsing.parse_page(render.encode(html), source)
        assert not _check(expected, got, type(expected).__name__)
