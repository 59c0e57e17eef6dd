"""preprocessing: raw result pages → typed races / entries / payouts tables."""

from kedro.pipeline import Pipeline, node, pipeline

from forecast_keiba.data.tables import parse_result_pages


def create_pipeline() -> Pipeline:
    return pipeline(
        [
            node(
                parse_result_pages,
                ["raw_result_pages", "params:preprocessing"],
                ["races", "entries", "payouts", "parse_failures"],
                name="parse_result_pages",
            ),
        ],
        tags="preprocessing",
    )
