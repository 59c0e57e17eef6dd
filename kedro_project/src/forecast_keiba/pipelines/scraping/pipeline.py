"""scraping: which races ran in the date range → their result pages in the raw store."""

from kedro.pipeline import Pipeline, node, pipeline

from forecast_keiba.ground_truth import replica_ground_truth
from forecast_keiba.scraping import discover_race_ids, fetch_result_pages


def create_pipeline() -> Pipeline:
    return pipeline(
        [
            node(
                discover_race_ids,
                ["params:scraping", "params:source", "params:client"],
                "race_index",
                name="discover_race_ids",
            ),
            node(
                fetch_result_pages,
                ["race_index", "params:source", "params:client"],
                "raw_result_pages",
                name="fetch_result_pages",
            ),
            # The replica's true probabilities, for the backtest's oracle (empty for live).
            node(replica_ground_truth, "params:source", "ground_truth", name="export_ground_truth"),
        ],
        tags="scraping",
    )
