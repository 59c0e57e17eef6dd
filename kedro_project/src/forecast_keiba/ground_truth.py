"""The true win probabilities behind the results, when the source knows them.

Only the offline replica does: its world draws every result from known
probabilities, which the oracle of the backtest bets with. Real data (live
netkeiba, the real CSV) has no truth, so its ground truth is an empty table of
the same schema and every report says "n/a" for the oracle instead of
silently dropping it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from forecast_keiba.replica.world import World, WorldConfig

COLUMNS = {"race_id": "string", "horse_id": "string", "horse_number": "int16",
           "true_win_prob": "float64", "date": "datetime64[ns]"}  # fmt: skip


def replica_ground_truth(source: Mapping[str, Any]) -> pd.DataFrame:
    """The truth of the world ``source.embedded_replica`` describes (empty without one)."""
    embedded = source.get("embedded_replica")
    if not embedded:
        return no_ground_truth()
    truth = World(WorldConfig.from_params(embedded)).ground_truth()
    return truth[~truth["upcoming"]][list(COLUMNS)].astype(COLUMNS).reset_index(drop=True)


def no_ground_truth() -> pd.DataFrame:
    """An empty truth table: real data never knows its true probabilities."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in COLUMNS.items()})
