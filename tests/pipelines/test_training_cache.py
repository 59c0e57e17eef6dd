"""The training pipeline under the plugin's cache: each node reads only the
parameter keys it uses, so a changed ``training.model`` value re-fits the win
model and what depends on it, and serves the split and the baseline from cache."""

from __future__ import annotations

from pathlib import Path

from kedro_prefect import kedro_flow
from tests.support import KEDRO_PROJECT
from tests.tracking.test_hook import prepare_project

# What a changed training.model reaches: the win model and everything downstream of it.
REFITTED = {"train_win_model", "describe_win_model", "predict_test_set", "evaluate_predictions",
            "backtest_bets", "plot_evaluation", "report_model", "track_metrics",
            "nominate_champion"}  # fmt: skip


def test_a_changed_model_setting_refits_only_what_uses_it(prefect_api: str, tmp_path: Path) -> None:
    project = prepare_project(tmp_path)

    def train(params: dict | None = None) -> dict[str, str]:
        state = kedro_flow(
            pipeline="training", project_path=str(KEDRO_PROJECT), conf_source=str(project.conf),
            params=params, return_state=True,
        )  # fmt: skip
        assert state.is_completed(), state.message
        return state.result()

    first = train()
    assert set(first.values()) == {"Completed"}
    states = train({"training": {"model": {"max_iter": 40}}})
    assert {name for name, state in states.items() if state != "Cached"} == REFITTED, states
    assert {states[name] for name in REFITTED} == {"Completed"}
