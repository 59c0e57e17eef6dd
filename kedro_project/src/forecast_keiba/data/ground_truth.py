"""The true win probabilities behind the results, when the source knows them.

Only a simulated source does: the offline replica's world draws every result from
known probabilities, which the oracle of the backtest bets with, and its Kedro hook
writes them to the ``ground_truth`` dataset. Real data (live netkeiba, the real CSV)
has no truth: the dataset then reads as an empty table of the same schema, and every
report says "n/a" for the oracle instead of silently dropping it.
"""

from __future__ import annotations

import pandas as pd

from kedro_atomic import ParquetDataset

COLUMNS = {"race_id": "string", "horse_id": "string", "horse_number": "int16",
           "true_win_prob": "float64", "date": "datetime64[ns]"}  # fmt: skip


def no_ground_truth() -> pd.DataFrame:
    """An empty truth table: real data never knows its true probabilities."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in COLUMNS.items()})


class GroundTruthDataset(ParquetDataset):
    """The ``ground_truth`` parquet file, or no truth where no source ever wrote one
    (conf/live: nothing simulates netkeiba there)."""

    def load(self) -> pd.DataFrame:
        if not self._exists():
            return no_ground_truth()
        return super().load()
