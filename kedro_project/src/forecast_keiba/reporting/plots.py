"""Evaluation plots: calibration, ROI against the EV threshold, cumulative return.

Figures are drawn with matplotlib's Agg backend (no display, no GUI toolkit):
they are written by the catalog's ``evaluation_plots`` dataset and logged to
MLflow as run artifacts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before pyplot: never a GUI backend in a pipeline

# pyplot, MLflow and Prefect each import IPython lazily, from whichever thread
# first needs it. Nodes run on threads of one process under the Prefect bridge,
# and two first imports at once can hand one of them a half-initialised module
# ("partially initialized module 'IPython'"). Importing it here, when the
# pipelines are registered on the main thread, leaves nothing to race for.
with contextlib.suppress(ImportError):
    import IPython  # noqa: F401

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from forecast_keiba.evaluation.backtest import BET_TYPES
from forecast_keiba.evaluation.metrics import PREDICTORS, calibration_table


def plot_evaluation(
    predictions: pd.DataFrame,
    summary: pd.DataFrame,
    bets: pd.DataFrame,
    backtest: Mapping[str, Any],
) -> dict[str, Figure]:
    """``{file name: figure}`` for the ``evaluation_plots`` dataset."""
    figures = {
        "calibration.png": _calibration(predictions),
        "roi_vs_threshold.png": _roi_curves(summary),
        "cumulative_return.png": _cumulative(bets, float(backtest["ev_threshold"])),
    }
    for figure in figures.values():
        figure.tight_layout()
        plt.close(figure)  # the dataset saves it; pyplot must not keep it alive
    return figures


def _calibration(predictions: pd.DataFrame) -> Figure:
    figure, axes = plt.subplots(figsize=(6, 6))
    axes.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect")
    for name in ("model", "baseline", "market", "oracle"):
        column = f"p_{name}"
        if predictions[column].isna().any():
            continue
        table = calibration_table(predictions, column)
        axes.plot(table["predicted"], table["observed"], marker="o", label=PREDICTORS[name])
    axes.set(xlabel="predicted win probability (decile mean)", ylabel="observed win rate",
             title="Calibration on held-out races")  # fmt: skip
    axes.legend(fontsize="small")
    return figure


def _roi_curves(summary: pd.DataFrame) -> Figure:
    figure, axes = plt.subplots(1, len(BET_TYPES), figsize=(11, 4.5), sharey=True)
    for ax, bet_type in zip(axes, BET_TYPES, strict=True):
        rows = summary[summary["bet_type"] == bet_type]
        for strategy, curve in rows[rows["strategy"] != "favourite"].groupby("strategy"):
            ax.plot(curve["threshold"], 100 * curve["roi"], marker="o", label=strategy)
        favourite = rows[rows["strategy"] == "favourite"]["roi"]
        if not favourite.empty and favourite.notna().all():
            ax.axhline(100 * favourite.iloc[0], color="grey", linestyle="--", label="favourite")
        ax.axhline(0, color="black", linewidth=0.5)
        ax.set(title=f"{bet_type} bets", xlabel="EV threshold (bet when p x odds - 1 > t)")
        ax.legend(fontsize="small")
    axes[0].set_ylabel("ROI %")
    return figure


def _cumulative(bets: pd.DataFrame, threshold: float) -> Figure:
    figure, axes = plt.subplots(1, len(BET_TYPES), figsize=(11, 4.5), sharey=True)
    for ax, bet_type in zip(axes, BET_TYPES, strict=True):
        for strategy, rows in bets[bets["bet_type"] == bet_type].groupby("strategy"):
            ordered = rows.sort_values(["date", "race_id"])
            profit = (ordered["return_yen"] - ordered["stake_yen"]).cumsum()
            ax.plot(ordered["date"].to_numpy(), profit.to_numpy(), label=strategy)
        ax.axhline(0, color="black", linewidth=0.5)
        ax.set(title=f"{bet_type} bets at EV > {threshold:g}", ylabel="cumulative profit (yen)")
        ax.tick_params(axis="x", labelrotation=30)
        ax.legend(fontsize="small")
    return figure
