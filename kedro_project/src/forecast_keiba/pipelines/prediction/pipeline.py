"""prediction: the next race day's cards → win probabilities per horse."""

from kedro.pipeline import Pipeline, node, pipeline

from forecast_keiba.data.scraping import fetch_race_cards
from forecast_keiba.data.tables import parse_race_cards
from forecast_keiba.models.forecasting import forecast_races
from forecast_keiba.reporting.report import report_forecast


def create_pipeline() -> Pipeline:
    return pipeline(
        [
            node(
                fetch_race_cards,
                ["params:prediction", "params:scraping", "params:source", "params:client"],
                "raw_race_cards",
                name="fetch_race_cards",
            ),
            node(
                parse_race_cards,
                "raw_race_cards",
                ["card_races", "card_entries"],
                name="parse_race_cards",
            ),
            node(
                forecast_races,
                ["champion_model", "races", "entries", "card_races", "card_entries"],
                "forecast",
                name="forecast_races",
            ),
            node(report_forecast, "forecast", "forecast_report", name="report_forecast"),
        ],
        tags="prediction",
    )
