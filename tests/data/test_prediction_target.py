"""Prediction parameters: a bad race id or date fails at once, naming it."""

from __future__ import annotations

import datetime as dt

import pytest

from forecast_keiba.data.prediction_target import PredictionTarget, prediction_target


def test_nothing_given_means_the_next_race_day_within_search_days() -> None:
    target = prediction_target({"race_date": None, "race_id": None, "search_days": 7})
    assert target == PredictionTarget(race_date=None, race_id=None, search_days=7)


def test_a_race_date_looks_at_that_day_only() -> None:
    target = prediction_target({"race_date": "2023-01-21", "search_days": 14})
    assert target.race_date == dt.date(2023, 1, 21) and target.search_days == 1


def test_a_race_id_is_normalised() -> None:
    assert prediction_target({"race_id": 202306010101}).race_id == "202306010101"


@pytest.mark.parametrize(
    ("prediction", "message"),
    [
        ({"race_id": "2023060101"}, r"prediction\.race_id: invalid race id '2023060101'"),
        ({"race_id": "202399010101"}, r"prediction\.race_id: .*unknown venue code 99"),
        ({"race_id": "202306010113"}, r"prediction\.race_id: .*race number 13"),
        ({"race_date": "2023-02-30"}, r"prediction\.race_date: '2023-02-30' is not an ISO date"),
        ({"search_days": 0}, r"prediction\.search_days: 0"),
        ({"race_id": "202344012101", "race_date": "2023-01-22"}, r"race of 2023-01-21"),
    ],
)
def test_bad_values_fail_naming_the_parameter(prediction: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        prediction_target(prediction)
