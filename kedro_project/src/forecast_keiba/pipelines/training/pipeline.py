"""training: pre-race features → time split → win model → held-out evaluation."""

from kedro.pipeline import Pipeline, node, pipeline

from forecast_keiba.evaluation import evaluate_win_model
from forecast_keiba.features import features_from_tables
from forecast_keiba.modeling import split_by_date, train_win_model


def create_pipeline() -> Pipeline:
    return pipeline(
        [
            node(features_from_tables, ["races", "entries"], "features", name="build_features"),
            node(
                split_by_date,
                ["features", "params:training"],
                ["train_set", "test_set"],
                name="split_train_test",
            ),
            node(
                train_win_model,
                ["train_set", "params:training"],
                "win_model",
                name="train_win_model",
                tags="model_fit",
            ),
            node(
                evaluate_win_model,
                ["win_model", "test_set"],
                "evaluation_metrics",
                name="evaluate_win_model",
            ),
        ],
        tags="training",
    )
