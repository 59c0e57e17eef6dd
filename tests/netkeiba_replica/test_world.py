"""The synthetic world: determinism, size, calendar, statistics of the results."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from forecast_keiba.netkeiba.race_id import parse_race_id
from netkeiba_replica import render
from netkeiba_replica.simulate import (
    DEAD_HEAT,
    DEMOTED,
    DISQUALIFIED,
    EXCLUDED,
    FINISHED,
    MARGIN_LENGTHS,
    PULLED_UP,
    SCRATCHED,
)
from netkeiba_replica.world import World, WorldConfig


def _pages(world: World) -> list[bytes]:
    """A sample of every page kind, as served bytes."""
    rid = world.run_race_ids()[5]
    up = world.race_ids_on(world.today)[3]
    day = world.racing_days()[0]
    horse = world.result_page(rid).entries[0].horse_id
    return [
        render.encode(render.render_result_page(world.result_page(rid), world.race_context(rid))),
        render.encode(render.render_race_card(world.race_card(up), world.race_context(up))),
        render.encode(render.render_day_list(world.day_list(day), world.day_context(day))),
        render.encode(
            render.render_horse_profile(world.horse_profile(horse), world.horse_context(horse))
        ),
    ]


def test_same_seed_gives_identical_world_and_pages() -> None:
    config = WorldConfig(seed=5, n_days=3, races_per_day=12)
    a, b = World(config), World(config)
    assert a.race_ids == b.race_ids
    assert _pages(a) == _pages(b)
    pd.testing.assert_frame_equal(a.ground_truth(), b.ground_truth())


def test_different_seed_gives_different_world() -> None:
    a = World(WorldConfig(seed=5, n_days=3, races_per_day=12))
    b = World(WorldConfig(seed=6, n_days=3, races_per_day=12))
    assert a.race_ids == b.race_ids  # the calendar depends on dates only
    assert all(x != y for x, y in zip(_pages(a), _pages(b), strict=True))
    assert not np.allclose(
        a.ground_truth()["true_win_prob"][:100], b.ground_truth()["true_win_prob"][:100]
    )


@pytest.mark.parametrize(("days", "per_day", "upcoming"), [(2, 12, 1), (3, 24, 2), (2, 30, 0)])
def test_size_scales_with_days_and_races_per_day(days: int, per_day: int, upcoming: int) -> None:
    world = World(WorldConfig(seed=1, n_days=days, races_per_day=per_day, upcoming_days=upcoming))
    assert len(world.racing_days()) == days
    assert len(world.upcoming_days()) == upcoming
    assert len(world.race_ids) == (days + upcoming) * per_day
    assert len(world.run_race_ids()) == days * per_day
    for day in world.racing_days() + world.upcoming_days():
        assert day.weekday() in (5, 6)
        ids = world.race_ids_on(day)
        assert len(ids) == per_day
        for rid in ids:
            parsed = parse_race_id(rid)  # valid JRA ids: venue, kai, nichi, race 1..12
            assert parsed.is_jra and 1 <= parsed.race_number <= 12


def test_calendar_starts_on_the_configured_date(small_world: World) -> None:
    assert small_world.racing_days()[0] == dt.date(2023, 1, 7)
    assert small_world.today == small_world.upcoming_days()[0]
    assert small_world.today > small_world.racing_days()[-1]


def test_upcoming_races_have_cards_but_no_results(small_world: World) -> None:
    for rid in small_world.race_ids_on(small_world.today):
        assert small_world.is_upcoming(rid)
        with pytest.raises(KeyError):
            small_world.result_page(rid)
        card = small_world.race_card(rid)
        assert 8 <= len(card.entries) <= 18
        assert card.race.weather is None and card.race.going is None
        for e in card.entries:
            assert e.finish_position is None and e.finish_status is None and e.time_s is None
            assert e.win_odds is None and e.popularity is None
    assert small_world.day_list(small_world.today).race_ids == ()
    assert small_world.upcoming_list(small_world.today).race_ids == small_world.race_ids_on(
        small_world.today
    )


def test_unknown_ids_have_no_race(small_world: World) -> None:
    assert not small_world.has_race("202301010199")
    with pytest.raises(KeyError):
        small_world.result_page("209901010101")
    page = small_world.no_race_page("209901010101")
    assert page.kind == "no_race" and page.race_id == "209901010101"


def test_result_pages_are_internally_consistent(large_world: World) -> None:
    for rid in large_world.run_race_ids()[::25]:
        page = large_world.result_page(rid)
        entries = page.entries
        assert 8 <= len(entries) <= 18
        assert sorted(e.horse_number for e in entries) == list(range(1, len(entries) + 1))
        finished = [e for e in entries if e.finish_position is not None]
        positions = [e.finish_position for e in finished]
        assert positions == sorted(positions) and positions[0] == 1
        # Times rise with finishing order (a demoted horse keeps its crossing time).
        plain = [e.time_s for e in finished if e.finish_status == "finished"]
        assert plain == sorted(plain)
        for e in finished[1:]:
            if e.finish_status == "finished":
                assert e.margin is not None
        starters = [e for e in entries if e.finish_status not in ("scratched", "excluded")]
        assert sorted(e.popularity for e in starters) == list(range(1, len(starters) + 1))
        by_pop = sorted(starters, key=lambda e: e.popularity)
        assert [e.win_odds for e in by_pop] == sorted(e.win_odds for e in by_pop)
        assert all(e.win_odds >= 1.0 for e in starters)
        info = page.race
        if info.surface == "jump_turf":
            assert 2750 <= info.distance_m <= 4250 and info.direction is None
        else:
            assert 1000 <= info.distance_m <= 3600 and info.direction is not None
        bets = {p.bet_type for p in page.payouts}
        assert {"win", "quinella", "exacta", "trio", "trifecta", "quinella_place"} <= bets
        for p in page.payouts:
            if p.bet_type == "win" and sum(q.bet_type == "win" for q in page.payouts) == 1:
                winner = next(e for e in entries if e.horse_number == p.combination[0])
                assert p.payout_yen == round(winner.win_odds * 100)
            assert p.payout_yen >= 100 and p.payout_yen % 10 == 0


def test_margins_agree_with_times(large_world: World) -> None:
    e = large_world.entries
    fin = (e["status"] == FINISHED) & (e["margin"] >= 0) & (e["margin"] != DEAD_HEAT)
    idx = np.flatnonzero(fin & (e["position"] > 1))
    idx = idx[np.isin(idx - 1, np.flatnonzero(e["status"] == FINISHED))]
    idx = idx[e["cross_rank"][idx] == e["cross_rank"][idx - 1] + 1]  # adjacent past the post
    lengths = MARGIN_LENGTHS[e["margin"][idx]]
    dtime = (e["time10"][idx].astype(int) - e["time10"][idx - 1].astype(int)) / 10
    assert (dtime >= 0).all()
    big = e["margin"][idx] == len(MARGIN_LENGTHS) - 1  # 大: more than ten lengths
    assert np.all(dtime[big] >= 10 * 0.17 - 0.1)
    # 0.17 s a length, tenths truncated: the time gap matches the printed margin.
    err = np.abs(dtime - lengths * 0.17)[~big]
    assert np.all(err <= 0.1 + 0.17 * 0.5 * lengths[~big] + 1e-9)
    short = np.isin(large_world.entries["margin"][idx], [0, 1, 2])  # nose, head, neck
    assert np.mean(dtime[short] <= 0.1) > 0.95


def test_rare_events_occur_at_configured_rates(large_world: World) -> None:
    w = large_world
    run = ~w.races["upcoming"]
    n_races = int(run.sum())
    entries_run = ~w.races["upcoming"][w.entry_race]
    status = w.entries["status"][entries_run]
    n_entries = int(entries_run.sum())
    rates = w.config.rates

    def within(observed: int, expected: float) -> bool:
        return abs(observed - expected) <= 5 * np.sqrt(expected) + 2

    assert within(int((status == SCRATCHED).sum()), rates.scratch * n_entries)
    assert within(int((status == EXCLUDED).sum()), rates.exclude * n_entries)
    assert within(int((status == DEMOTED).sum()), rates.demote * n_races)
    assert within(int((status == DISQUALIFIED).sum()), rates.disqualify * n_races)
    assert (status == PULLED_UP).sum() > 0 and (status == DISQUALIFIED).sum() > 0
    # Dead heats for first: races with two winners, and two win payouts on their pages.
    pos = w.entries["position"]
    winners = np.bincount(
        w.entry_race[(pos == 1) & (w.entries["status"] == FINISHED)], minlength=len(w.race_ids)
    )[run]
    n_dh = int((winners == 2).sum())
    assert n_dh > 0 and within(n_dh, rates.dead_heat_win * n_races)
    race = next(rid for rid, k in zip(np.array(w.race_ids)[run], winners, strict=True) if k == 2)
    page = w.result_page(race)
    assert sum(p.bet_type == "win" for p in page.payouts) == 2
    assert [e.finish_position for e in page.entries[:2]] == [1, 1]
    assert page.entries[1].margin == "同着"
    # 計不 (no body weight) among the starters, and always for scratched horses.
    scratched = w.entries["body_weight"][entries_run][status == SCRATCHED]
    assert (scratched == 0).all()
    assert (w.entries["body_weight"][entries_run][status == FINISHED] == 0).sum() > 0
    jump = w.races["jump"][run]
    assert 0.01 < jump.mean() < 0.06


def test_field_sizes_and_careers_are_realistic(large_world: World) -> None:
    sizes = large_world.races["size"]
    assert sizes.min() >= 8 and sizes.max() <= 18
    assert 12.5 < sizes.mean() < 15.5
    starts = np.bincount(large_world.entries["horse"])
    assert starts.max() >= 8  # careers span many races
    assert np.mean(starts[starts > 0] >= 3) > 0.3


def test_favourite_betting_returns_about_75_to_80_percent(large_world: World) -> None:
    e, w = large_world.entries, large_world
    run = ~w.races["upcoming"][w.entry_race]
    fav = run & (e["popularity"] == 1)
    won = fav & (e["position"] == 1) & np.isin(e["status"], [FINISHED, DEMOTED])
    roi = (e["odds10"][won] / 10).sum() / fav.sum()
    assert 0.70 <= roi <= 0.85, roi
    assert 0.25 < won.sum() / fav.sum() < 0.40  # favourites win about a third of races


def test_true_probabilities_are_calibrated(large_world: World) -> None:
    truth = large_world.ground_truth()
    truth = truth[~truth["upcoming"]].reset_index(drop=True)
    e = large_world.entries
    run = ~large_world.races["upcoming"][large_world.entry_race]
    won = ((e["position"] == 1) & np.isin(e["status"], [FINISHED, DEMOTED]))[run]
    truth["won"] = won
    assert np.allclose(truth.groupby("race_id")["true_win_prob"].sum(), 1.0, atol=1e-5)
    bins = pd.cut(truth["true_win_prob"], [0, 0.03, 0.07, 0.12, 0.2, 0.3, 0.45, 1.0])
    grouped = truth.groupby(bins, observed=True).agg(
        p=("true_win_prob", "mean"), rate=("won", "mean"), n=("won", "size")
    )
    for _, row in grouped.iterrows():
        se = np.sqrt(row.p * (1 - row.p) / row.n)
        assert abs(row.rate - row.p) <= 4 * se + 0.01, row
    # The truth is sharper than the public: a lower log loss on the winners.
    starters = truth["true_win_prob"] > 0
    ll_true = -np.log(truth.loc[won & starters, "true_win_prob"]).mean()
    ll_pub = -np.log(truth.loc[won & starters, "public_win_prob"]).mean()
    assert ll_true < ll_pub


def test_horse_profiles_list_past_races(small_world: World) -> None:
    rid = small_world.run_race_ids()[-1]
    horse = small_world.result_page(rid).entries[0].horse_id
    profile = small_world.horse_profile(horse)
    assert profile.past_race_ids[0] == rid  # most recent first
    assert all(not small_world.is_upcoming(r) for r in profile.past_race_ids)
    assert profile.sire_id and profile.dam_id and profile.damsire_id and profile.birth_date


def test_ground_truth_export(tmp_path, small_world: World) -> None:
    csv = small_world.export_ground_truth(tmp_path / "truth.csv")
    parquet = small_world.export_ground_truth(tmp_path / "truth.parquet")
    a, b = pd.read_csv(csv, dtype={"race_id": str, "horse_id": str}), pd.read_parquet(parquet)
    assert len(a) == len(b) == len(small_world.entries["horse"])
    assert list(b.columns[:4]) == ["race_id", "horse_id", "horse_number", "true_win_prob"]
    assert set(a["race_id"]) == set(small_world.race_ids)


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        WorldConfig(races_per_day=0)
    with pytest.raises(ValueError):
        WorldConfig(n_days=-1)
    with pytest.raises(ValueError):
        WorldConfig(races_per_day=24, horses=100)
    assert dataclasses.replace(WorldConfig(), seed=3).seed == 3
