"""training: pre-race features → time split → models → evaluation, backtest, report → registry."""

from kedro.pipeline import Pipeline, node, pipeline

from forecast_keiba.evaluation.backtest import backtest_bets
from forecast_keiba.evaluation.metrics import evaluate_predictions, predict_test_set
from forecast_keiba.features.pre_race import features_from_tables
from forecast_keiba.models.champion import nominate_champion
from forecast_keiba.models.fitting import (
    model_card,
    split_by_date,
    train_baseline_model,
    train_win_model,
)
from forecast_keiba.reporting.plots import plot_evaluation
from forecast_keiba.reporting.report import report_model
from forecast_keiba.tracking.metrics import run_metrics


def create_pipeline() -> Pipeline:
    return pipeline(
        [
            node(features_from_tables, ["races", "entries"], "features", name="build_features"),
            # Each node reads only the parameter keys it uses: a node's cache key
            # covers its inputs, so a change to training.model re-fits the win
            # model (and what follows it), not the split or the baseline.
            node(
                split_by_date,
                ["features", "params:training.test_start_date", "params:training.test_fraction"],
                ["train_set", "test_set"],
                name="split_train_test",
            ),
            node(
                train_win_model,
                [
                    "train_set",
                    "params:training.model",
                    "params:training.fitting",
                    "params:training.use_gpu",
                    "params:training.gpu_model",
                ],
                "win_model",
                name="train_win_model",
                tags="model_fit",
            ),
            node(
                train_baseline_model,
                ["train_set", "params:training.baseline", "params:training.fitting"],
                "baseline_model",
                name="train_baseline_model",
                tags="model_fit",
            ),
            node(model_card, ["win_model", "train_set"], "model_card", name="describe_win_model"),
            node(
                predict_test_set,
                ["win_model", "baseline_model", "test_set", "ground_truth"],
                "test_predictions",
                name="predict_test_set",
            ),
            node(
                evaluate_predictions,
                "test_predictions",
                "evaluation_metrics",
                name="evaluate_predictions",
            ),
            node(
                backtest_bets,
                ["test_predictions", "payouts", "params:backtest"],
                ["backtest_summary", "backtest_bets", "backtest_metrics"],
                name="backtest_bets",
            ),
            node(
                plot_evaluation,
                ["test_predictions", "backtest_summary", "backtest_bets", "params:backtest"],
                "evaluation_plots",
                name="plot_evaluation",
            ),
            node(
                report_model,
                ["evaluation_metrics", "backtest_metrics", "model_card"],
                "model_report",
                name="report_model",
            ),
            node(
                run_metrics,
                ["evaluation_metrics", "backtest_metrics"],
                "metrics",
                name="track_metrics",
            ),
            node(
                nominate_champion,
                ["win_model", "evaluation_metrics", "test_set", "params:champion"],
                "champion_model",
                name="nominate_champion",
            ),
        ],
        tags="training",
    )
