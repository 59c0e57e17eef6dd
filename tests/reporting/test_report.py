"""The model report is read in a terminal: every line fits 80 columns."""

from __future__ import annotations

from forecast_keiba.evaluation.metrics import PREDICTORS
from forecast_keiba.reporting.report import format_model_report

CARD = {"kind": "race_ranking", "with_market_odds": True, "device": "cuda:0",
        "train_races": 123_456, "train_start": "2010-01-05", "train_end": "2021-12-28"}  # fmt: skip


def test_every_line_of_the_report_fits_an_80_column_terminal() -> None:
    metrics = {"races": 12_345, "runners": 170_000}
    for name in PREDICTORS:
        metrics |= {f"log_loss_{name}": 2.0123, f"auc_win_{name}": 0.8123,
                    f"auc_top3_{name}": 0.8011}  # fmt: skip
    backtest = {"ev_threshold": 0.05, "max_odds": 30.0, "races_settled_from_odds": 12}
    for strategy in ("model", "baseline", "favourite", "oracle"):
        for bet in ("win", "place"):
            backtest |= {f"bets_{bet}_{strategy}": 123_456, f"roi_{bet}_{strategy}": -0.2345,
                         f"hit_rate_{bet}_{strategy}": 0.6789}  # fmt: skip
    report = format_model_report(metrics, backtest, CARD)
    too_wide = [line for line in report.splitlines() if len(line) > 80]
    assert not too_wide, too_wide
    assert "race_ranking + market odds on cuda:0" in report
    assert "123,456 races (2010-01-05 .. 2021-12-28)" in report
