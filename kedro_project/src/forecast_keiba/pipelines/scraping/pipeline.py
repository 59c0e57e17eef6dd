"""scraping: races run on the days not yet stored → their result pages in the raw store,
then those days in the race_days ledger."""

from kedro.pipeline import Pipeline, node, pipeline

from forecast_keiba.data.scraping import discover_race_ids, fetch_result_pages


def create_pipeline() -> Pipeline:
    return pipeline(
        [
            node(
                discover_race_ids,
                ["params:scraping", "params:source", "params:client", "stored_race_days"],
                "race_index",
                name="discover_race_ids",
            ),
            node(
                fetch_result_pages,
                ["race_index", "params:source", "params:client"],
                ["raw_result_pages", "race_days"],  # pages first: the ledger follows them
                name="fetch_result_pages",
            ),
        ],
        tags="scraping",
    )
