"""The floor under the model report: the world's known strengths are what its true
probabilities are made of, and the ceiling's predictors order as information says."""

from __future__ import annotations

import numpy as np
import pytest

from netkeiba_replica.world import World, WorldConfig
from tests.bench.loader import load_bench

ceiling_bench = load_bench("quality_ceiling")
CONFIG = WorldConfig(seed=5, n_days=60, races_per_day=16, upcoming_days=0)


@pytest.fixture(scope="module")
def result() -> dict:
    return ceiling_bench.ceiling(CONFIG)


def test_true_probabilities_are_the_known_strength_plus_race_day_noise() -> None:
    runners = ceiling_bench.Runners(World(CONFIG), 0.25)
    logit = np.log(runners.p_true)
    race_mean = np.bincount(runners.race, logit) / runners.size
    known_mean = np.bincount(runners.race, runners.known) / runners.size
    residual = (logit - race_mean[runners.race]) - (runners.known - known_mean[runners.race])
    # The simulator's race-day noise has sd 0.3; a field's mean takes a little of it.
    assert 0.25 < residual.std() < 0.31
    centred = runners.known - known_mean[runners.race]
    assert np.corrcoef(logit - race_mean[runners.race], centred)[0, 1] > 0.95


def test_more_knowledge_means_a_lower_log_loss(result) -> None:
    loss = result["log_loss"]
    assert loss["oracle"] < loss["known+market"] < loss["market"]
    assert loss["known"] < loss["market"]
    blurred = [loss[f"known+market, error sd {sd:g}"] for sd in ceiling_bench.ERROR_SDS]
    assert loss["known+market"] < blurred[-1]
    assert blurred[0] < blurred[-1] < loss["market"]
    assert result["test_races"] == pytest.approx(0.25 * 60 * 16, abs=16)


def test_the_report_prints_every_figure_and_one_json_line(result, capsys) -> None:
    text = ceiling_bench.format_ceiling(result)
    for name, value in result["log_loss"].items():
        assert f"{name:<34}{value:>9.4f}" in text
    for name, row in result["win_roi_no_cap"].items():
        assert f"{name:<34}{100 * row['roi']:>+8.1f}%  ({row['bets']} bets)" in text
    assert result["win_roi_no_cap"]["favourite"]["bets"] >= result["test_races"]


def test_no_bet_has_no_roi() -> None:
    runners = ceiling_bench.Runners(World(CONFIG), 0.25)
    assert runners.win_roi(np.zeros(runners.won.size, bool)) == {"bets": 0, "roi": None}
    market_value_bets = runners.p_market * runners.odds > 1.0  # the takeout: never
    assert runners.win_roi(market_value_bets) == {"bets": 0, "roi": None}
