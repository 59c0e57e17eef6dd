"""What to forecast, from the ``prediction`` parameters, validated.

A forecast is usually asked for by hand (``prefect deployment run`` with a
date or a race id), so a typo must fail at once, naming the parameter and the
value, not after a long run or as "no races found". The project's
ParameterChecks hook calls :func:`prediction_target` before any node runs; the
prediction nodes use the same function.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from forecast_keiba.data.incremental import as_date
from forecast_keiba.netkeiba.errors import InvalidRaceIdError
from forecast_keiba.netkeiba.race_id import parse_race_id


@dataclass(frozen=True)
class PredictionTarget:
    """One race (``race_id``), one race day (``race_date``), or the next race
    day found within ``search_days`` after the scraped range (neither)."""

    race_date: dt.date | None
    race_id: str | None
    search_days: int


def prediction_target(prediction: Mapping[str, Any]) -> PredictionTarget:
    """The validated target; ``ValueError`` naming ``prediction.<key>`` otherwise."""
    race_date = (
        as_date(prediction["race_date"], "prediction.race_date")
        if prediction.get("race_date")
        else None
    )
    race_id = None
    if prediction.get("race_id"):
        try:
            parsed = parse_race_id(prediction["race_id"])
        except InvalidRaceIdError as exc:
            raise ValueError(f"prediction.race_id: {exc}") from exc
        if race_date and parsed.nar_date and parsed.nar_date != race_date:
            raise ValueError(
                f"prediction.race_id {parsed.value} is a race of {parsed.nar_date}, "
                f"not of prediction.race_date {race_date}"
            )
        race_id = parsed.value
    raw_days = prediction.get("search_days", 14)
    if isinstance(raw_days, bool) or not isinstance(raw_days, int) or raw_days < 1:
        raise ValueError(f"prediction.search_days: {raw_days!r} is not a whole number >= 1")
    return PredictionTarget(
        race_date=race_date, race_id=race_id, search_days=1 if race_date else raw_days
    )
