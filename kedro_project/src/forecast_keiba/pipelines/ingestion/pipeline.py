"""ingestion: real netkeiba results exported as CSV → the same typed tables."""

from kedro.pipeline import Pipeline, node, pipeline

from forecast_keiba.data.ground_truth import no_ground_truth
from forecast_keiba.data.ingestion import ingest_results_csv


def create_pipeline() -> Pipeline:
    return pipeline(
        [
            node(
                ingest_results_csv,
                ["real_results_csv", "real_race_ids_by_month"],
                ["races", "entries", "payouts"],
                name="ingest_results_csv",
            ),
            node(no_ground_truth, None, "ground_truth", name="no_ground_truth"),
        ],
        tags="ingestion",
    )
