"""The model report: one plain-text page a person reads instead of a notebook.

Printed to the run's log and saved as ``model_report`` (an MLflow artifact):
every predictor's log loss and AUC, then the betting backtest at the reported
EV threshold next to the favourite baseline and, when known, the oracle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from forecast_keiba.evaluation.metrics import PREDICTORS
from forecast_keiba.models.forecasting import format_forecast
from forecast_keiba.reporting.tables import show

_STRATEGIES = ("model", "baseline", "favourite", "oracle")


def format_model_report(
    metrics: Mapping[str, float], backtest: Mapping[str, float], card: Mapping[str, Any]
) -> str:
    """The report as text (also logged at INFO, so every run prints it)."""
    market = " + market odds" if card.get("with_market_odds") else ""
    lines = [
        f"Model report: {card['kind']}{market} on {card['device']}",
        f"Trained on {card['train_races']:,} races ({card['train_start']} .. {card['train_end']})",
        f"Held-out: {int(metrics['races']):,} races, {int(metrics['runners']):,} runners",
        "",
        f"  {'predictor':<44}{'log loss':>10}{'AUC win':>10}{'AUC top3':>10}",
    ]
    for name, label in PREDICTORS.items():
        if f"log_loss_{name}" not in metrics:
            lines.append(f"  {label:<44}{'n/a':>10}")
            continue
        lines.append(
            f"  {label:<44}{metrics[f'log_loss_{name}']:>10.4f}"
            f"{_num(metrics.get(f'auc_win_{name}')):>10}{_num(metrics.get(f'auc_top3_{name}')):>10}"
        )
    threshold = backtest["ev_threshold"]
    lines += [
        "",
        f"Betting backtest: flat stakes on EV > {threshold:g}{_cap(backtest)}",
        "(favourite: every race); ROI = (returned - staked) / staked",
        f"  {'strategy':<12}{'win bets':>10}{'win ROI':>10}{'win hits':>10}"
        f"{'place bets':>12}{'place ROI':>11}{'place hits':>12}",
    ]
    for strategy in _STRATEGIES:
        if f"bets_win_{strategy}" not in backtest:
            lines.append(f"  {strategy:<12}{'n/a':>10}")
            continue
        cells = []
        for bet_type, widths in (("win", (10, 10, 10)), ("place", (12, 11, 12))):
            values = (
                str(int(backtest.get(f"bets_{bet_type}_{strategy}", 0))),
                _pct(backtest.get(f"roi_{bet_type}_{strategy}")),
                _pct(backtest.get(f"hit_rate_{bet_type}_{strategy}"), signed=False),
            )
            cells += [f"{value:>{width}}" for value, width in zip(values, widths, strict=True)]
        lines.append(f"  {strategy:<12}" + "".join(cells))
    if backtest.get("races_settled_from_odds"):
        lines.append(
            f"  ({int(backtest['races_settled_from_odds'])} races have no payouts table: win bets"
            " settled\n   at the final odds, no place bets)"
        )
    return "\n".join(lines)


def report_model(
    metrics: Mapping[str, float], backtest: Mapping[str, float], card: Mapping[str, Any]
) -> str:
    """Node: the report, printed to the log and returned for the catalog."""
    text = format_model_report(metrics, backtest, card)
    show("Model report", text)
    return text


def report_forecast(forecast: pd.DataFrame) -> str:
    """Node: the forecast's table (the top runners of each race), printed to the log
    and returned for the catalog."""
    text = format_forecast(forecast)
    show(f"Forecast: {forecast['race_id'].nunique()} race(s)", text)
    return text


def _cap(backtest: Mapping[str, float]) -> str:
    return f", win odds <= {backtest['max_odds']:g}" if backtest.get("max_odds") else ""


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _pct(value: float | None, *, signed: bool = True) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:+.1f}%" if signed else f"{100 * value:.1f}%"
