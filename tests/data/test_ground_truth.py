"""The ground-truth table: what a simulated source wrote, or no truth at all."""

from __future__ import annotations

import pandas as pd

from forecast_keiba.data.ground_truth import COLUMNS, GroundTruthDataset, no_ground_truth


def test_without_a_file_the_truth_is_the_empty_table_of_the_schema(tmp_path) -> None:
    truth = GroundTruthDataset(filepath=str(tmp_path / "ground_truth.parquet")).load()
    assert truth.empty
    assert dict(truth.dtypes.astype(str)) == COLUMNS


def test_a_saved_truth_reads_back(tmp_path) -> None:
    dataset = GroundTruthDataset(filepath=str(tmp_path / "ground_truth.parquet"))
    frame = pd.concat([no_ground_truth(), pd.DataFrame({"race_id": ["202306010101"],
        "horse_id": ["2019100001"], "horse_number": [1], "true_win_prob": [0.25],
        "date": [pd.Timestamp("2023-01-07")]})]).astype(COLUMNS)  # fmt: skip
    dataset.save(frame)
    pd.testing.assert_frame_equal(dataset.load(), frame)
