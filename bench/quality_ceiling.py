"""How low can any pre-race model's log loss go on a replica world? The floor under the report.

    uv run python bench/quality_ceiling.py                      # replica2y: seed 2024, 208 days
    uv run python bench/quality_ceiling.py --seed 42 --days 104 # the development world

The replica draws each runner's strength as a part every pre-race observer could in
principle know (ability, age, trip, surface, going, jockey, trainer, weight: the
simulator's ``strength_known``) plus race-day noise (sd 0.3) nobody knows before the
off; the true win probabilities are the softmax of the sum. The oracle of the report
knows that noise too, so it is no target for a pre-race model. The market sees the
noise, blurred (0.9 x strength + N(0, 0.4)).

On the report's split (the last quarter of race days held out) this prints, for the
same test races as the report:

- ``oracle``: the true probabilities;
- ``market``: inverse final odds, normalised per race (the report's market);
- ``known``: softmax of the known strength, its temperature fitted on training days;
- ``known+market``: Benter's two-stage blend of the known strength with the market,
  fitted on training days: the best a model that knew every horse exactly could do;
- ``known+market, error sd s``: the same with the known strength blurred by N(0, s):
  how precisely a model must know the runners to reach a given log loss;
- win ROI, no odds cap: the favourite of every race, and every EV > 0 bet of those
  predictors (the market's own never has EV > 0).

and one JSON line. A model's report figure sits between ``known+market`` and
``market``; a target below ``known+market`` is out of reach for any model.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np
from scipy.optimize import minimize

from netkeiba_replica.world import World, WorldConfig

ERROR_SDS = (0.1, 0.2, 0.3, 0.5)
NOISE_SEED = 0


class Runners:
    """The started runners of a world's run races, flat, with per-race helpers."""

    def __init__(self, world: World, test_fraction: float) -> None:
        entries, races = world.entries, world.races
        race_of = world.entry_race
        keep = (entries["p_true"] > 0) & ~races["upcoming"][race_of]
        date = races["date"][race_of][keep]
        days = np.unique(date)
        first_test_day = days[int(len(days) * (1.0 - test_fraction))]
        _, self.race = np.unique(race_of[keep], return_inverse=True)
        self.size = np.bincount(self.race)
        self.test = date >= first_test_day
        self.won = entries["position"][keep] == 1
        self.odds = entries["odds10"][keep] / 10.0
        self.known = entries["strength_known"][keep].astype(float)
        self.p_true = entries["p_true"][keep].astype(float)
        self.p_market = self.normalised(1.0 / self.odds)

    def normalised(self, weights: np.ndarray) -> np.ndarray:
        return weights / np.bincount(self.race, weights)[self.race]

    def softmax(self, score: np.ndarray) -> np.ndarray:
        top = np.full(self.size.size, -np.inf)
        np.maximum.at(top, self.race, score)
        return self.normalised(np.exp(score - top[self.race]))

    def log_loss(self, p: np.ndarray, rows: np.ndarray) -> float:
        """Mean -log p(winner) over the winners of ``rows``' races (the report's)."""
        return float(-np.log(np.clip(p[self.won & rows], 1e-12, None)).mean())

    def fitted_blend(self, scores: list[np.ndarray]) -> np.ndarray:
        """softmax(sum w_i score_i), the weights fitted on the training days only."""

        def loss(weights: np.ndarray) -> float:
            return self.log_loss(self.softmax(np.dot(weights, scores)), ~self.test)

        weights = minimize(loss, np.full(len(scores), 0.5), method="Nelder-Mead").x
        return self.softmax(np.dot(weights, scores))

    def win_roi(self, bet: np.ndarray) -> dict[str, float | int | None]:
        """Flat win bets on the test races' runners picked by ``bet``: how many, and
        the ROI (None without a bet)."""
        bet = bet & self.test
        bets = int(bet.sum())
        returned = float((self.won[bet] * self.odds[bet]).sum())
        return {"bets": bets, "roi": round(returned / bets - 1, 4) if bets else None}

    def favourites(self) -> np.ndarray:
        """Each race's shortest-priced runner (ties: all of them)."""
        top = np.full(self.size.size, -np.inf)
        np.maximum.at(top, self.race, self.p_market)
        return self.p_market == top[self.race]


def ceiling(config: WorldConfig, test_fraction: float = 0.25) -> dict[str, Any]:
    """Every figure of the module docstring for one world."""
    runners = Runners(World(config), test_fraction)
    log_market = np.log(runners.p_market)
    predictors = {
        "oracle": runners.p_true,
        "market": runners.p_market,
        "known": runners.fitted_blend([runners.known]),
        "known+market": runners.fitted_blend([runners.known, log_market]),
    }
    rng = np.random.default_rng(NOISE_SEED)
    for sd in ERROR_SDS:
        blurred = runners.known + rng.normal(0.0, sd, runners.known.size)
        predictors[f"known+market, error sd {sd:g}"] = runners.fitted_blend([blurred, log_market])
    log_loss = {name: round(runners.log_loss(p, runners.test), 4) for name, p in predictors.items()}
    # The market itself never sees EV > 0: its probabilities include the takeout.
    roi = {"favourite": runners.win_roi(runners.favourites())}
    for name in ("oracle", "known+market", "known+market, error sd 0.2"):
        roi[name] = runners.win_roi(predictors[name] * runners.odds > 1.0)
    return {
        "check": "quality_ceiling",
        "seed": config.seed,
        "days": config.n_days,
        "test_races": int(np.unique(runners.race[runners.test]).size),
        "log_loss": log_loss,
        "win_roi_no_cap": roi,
        # Flat copies for bench/summary.py's table.
        "floor_log_loss": log_loss["known+market"],
        "floor_log_loss_sd_0_2": log_loss["known+market, error sd 0.2"],
        "market_log_loss": log_loss["market"],
        "oracle_log_loss": log_loss["oracle"],
    }


def format_ceiling(result: dict[str, Any]) -> str:
    lines = [
        f"world seed {result['seed']}, {result['days']} race days, "
        f"{result['test_races']:,} held-out races",
        "",
        f"  {'predictor':<34}{'log loss':>9}",
    ]
    lines += [f"  {name:<34}{value:>9.4f}" for name, value in result["log_loss"].items()]
    lines += ["", "  win bets, no odds cap (the favourite: every race; the others: EV > 0):"]
    for name, row in result["win_roi_no_cap"].items():
        roi = "no bets" if row["roi"] is None else f"{100 * row['roi']:+.1f}%"
        lines.append(f"  {name:<34}{roi:>9}  ({row['bets']} bets)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2024, help="the world's seed (replica2y's)")
    parser.add_argument("--days", type=int, default=208, help="race days with results")
    parser.add_argument("--races-per-day", type=int, default=24)
    parser.add_argument("--test-fraction", type=float, default=0.25)
    args = parser.parse_args(argv)
    config = WorldConfig(seed=args.seed, n_days=args.days, races_per_day=args.races_per_day)
    result = ceiling(config, args.test_fraction)
    print(format_ceiling(result))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
