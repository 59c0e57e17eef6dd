"""A trained model put forward as the champion, with the score that judges it.

Which model predicts is decided by one number measured the same way for every
candidate: the held-out score named in ``params:champion``. The registry (see
``forecast_keiba.tracking.registry``) keeps each candidate as a version and
moves the ``champion`` alias only when :meth:`Candidate.beats` says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from forecast_keiba.models.fitting import RaceWinModel


@dataclass(frozen=True)
class Candidate:
    model: RaceWinModel
    metric: str
    score: float
    greater_is_better: bool
    input_example: pd.DataFrame

    def beats(self, champion_score: float | None) -> bool:
        """True when there is no champion yet or this score is strictly better."""
        if champion_score is None or math.isnan(champion_score):
            return True
        if self.greater_is_better:
            return self.score > champion_score
        return self.score < champion_score


def nominate_champion(
    model: RaceWinModel,
    metrics: Mapping[str, float],
    test: pd.DataFrame,
    champion: Mapping[str, Any],
) -> Candidate:
    """Node: the run's model as a candidate, scored by ``champion.metric``."""
    metric = str(champion["metric"])
    if metric not in metrics:
        known = ", ".join(sorted(metrics))
        raise ValueError(f"champion.metric: {metric!r} is not an evaluation metric ({known})")
    rows = int(champion.get("input_example_rows", 5))
    example = test[model.feature_names_in_].head(rows).reset_index(drop=True)
    return Candidate(
        model=model,
        metric=metric,
        score=float(metrics[metric]),
        greater_is_better=bool(champion.get("greater_is_better", False)),
        input_example=example,
    )
