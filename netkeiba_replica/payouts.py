"""Payouts of the nine bet types, from the public's probabilities and takeout.

The public's stake on every combination is taken to be its Harville
probability under the public win estimate (the same estimate the win odds come
from). A pool pays ``1 + (net pool - stakes on winners) / (k * stake)`` per yen
on each of its ``k`` winning combinations, which for one winner is simply
``(1 - takeout) / stake``: so win payouts equal the printed odds and every
other pool returns its ``1 - takeout`` on average. Yen are truncated to 10, with
100 as the floor (JRA's refund-level minimum).
"""

from __future__ import annotations

import functools
from itertools import combinations

import numpy as np

from forecast_keiba.netkeiba.model import BetType, Payout

TAKEOUT: dict[str, float] = {
    "win": 0.2,
    "place": 0.2,
    "bracket_quinella": 0.225,
    "quinella": 0.225,
    "quinella_place": 0.225,
    "bracket_exacta": 0.25,
    "exacta": 0.25,
    "trio": 0.25,
    "trifecta": 0.275,
}
# Page order: the first pay_table_01 holds win .. quinella, the second the rest.
BET_ORDER: tuple[BetType, ...] = (
    "win",
    "place",
    "bracket_quinella",
    "bracket_exacta",
    "quinella",
    "quinella_place",
    "exacta",
    "trio",
    "trifecta",
)


def race_payouts(
    numbers: np.ndarray,
    brackets: np.ndarray,
    positions: np.ndarray,
    p_public: np.ndarray,
    odds10: np.ndarray,
    popularity: np.ndarray,
    n_entries: int,
    sell_bracket_exacta: bool = True,
) -> tuple[Payout, ...]:
    """Payouts of one race. Arrays are over the *starters*, in display order;
    ``positions`` is 0 for starters that did not finish."""
    n = numbers.size
    if n < 2:
        return ()
    p = p_public / p_public.sum()
    order = np.flatnonzero(positions > 0)
    order = order[np.argsort(positions[order], kind="stable")]
    first = [i for i in order if positions[i] == 1]
    top2 = list(order[:2])
    top3 = list(order[:3])
    out: list[Payout] = []

    # Harville joint probabilities of the public.
    p2 = p[:, None] * p[None, :] / np.maximum(1 - p[:, None], 1e-12)
    np.fill_diagonal(p2, 0.0)
    rem = np.maximum(1 - p[:, None, None] - p[None, :, None], 1e-12)
    p3 = p2[:, :, None] * p[None, None, :] / rem
    ii = np.arange(n)
    p3[ii, ii, :] = 0
    p3[ii, :, ii] = 0
    p3[:, ii, ii] = 0

    # win
    if len(first) == 1:
        i = first[0]
        out.append(Payout("win", (int(numbers[i]),), int(odds10[i]) * 10, _pop(popularity[i])))
    else:
        yen = _pay([p[i] for i in first], TAKEOUT["win"])
        out += [
            Payout("win", (int(numbers[i]),), y, _pop(popularity[i]))
            for i, y in zip(first, yen, strict=True)
        ]

    # place: 3 places from 8 starters, 2 from 5-7, none below.
    k = 3 if n >= 8 else 2 if n >= 5 else 0
    if k:
        in_top = (
            (p3.sum(axis=(1, 2)) + p3.sum(axis=(0, 2)) + p3.sum(axis=(0, 1)))
            if k == 3
            else (p2.sum(axis=1) + p2.sum(axis=0))
        )
        stake = in_top / in_top.sum()
        placed = [i for i in order if positions[i] <= k]
        yen = _pay([stake[i] for i in placed], TAKEOUT["place"])
        out += [
            Payout("place", (int(numbers[i]),), y, _rank(stake, stake[i]))
            for i, y in zip(placed, yen, strict=True)
        ]

    quin = p2 + p2.T
    iu, ju = np.triu_indices(n, 1)
    if n_entries >= 9:
        # Brackets: sums over the horses in each bracket pair.
        be = np.zeros((9, 9))
        np.add.at(be, (brackets[:, None].repeat(n, 1), brackets[None, :].repeat(n, 0)), p2)
        bq = np.triu(be + be.T) - np.diag(np.diag(be))  # unordered: a <= b
        win_pair = tuple(sorted(int(brackets[i]) for i in top2))
        every = bq[np.triu_indices(9)]
        out.append(_from_array("bracket_quinella", [win_pair], [bq[win_pair]], every))
        if sell_bracket_exacta:
            combos = list(
                dict.fromkeys(
                    (int(brackets[a]), int(brackets[b])) for a, b in _ordered_pairs(first, top2)
                )
            )
            out += _multi_array("bracket_exacta", combos, [be[c] for c in combos], be.ravel())

    a, b = sorted(top2, key=lambda k: numbers[k])
    pair = (int(numbers[a]), int(numbers[b]))
    out.append(_from_array("quinella", [pair], [quin[a, b]], quin[iu, ju]))

    # quinella_place (wide): every pair inside the first three.
    s3 = None
    if len(top3) == 3:
        s3 = (
            p3
            + p3.transpose(0, 2, 1)
            + p3.transpose(1, 0, 2)
            + p3.transpose(1, 2, 0)
            + p3.transpose(2, 0, 1)
            + p3.transpose(2, 1, 0)
        )
        both = s3.sum(axis=2)  # P(i and j both in the first three), symmetric
        pairs = [(top3[0], top3[1]), (top3[0], top3[2]), (top3[1], top3[2])]
        combos = [_key(numbers, i, j) for i, j in pairs]
        out += _multi_array("quinella_place", combos, [both[i, j] for i, j in pairs], both[iu, ju])

    ordered = _ordered_pairs(first, top2)
    out += _multi_array(
        "exacta",
        [(int(numbers[x]), int(numbers[y])) for x, y in ordered],
        [p2[x, y] for x, y in ordered],
        p2.ravel(),
    )

    if s3 is not None:
        trio_all = s3[_triples(n)]
        x, y, z = top3
        out.append(
            _from_array(
                "trio", [tuple(sorted(int(numbers[k]) for k in top3))], [s3[x, y, z]], trio_all
            )
        )
        third = top3[2]
        combos3 = [(int(numbers[x]), int(numbers[y]), int(numbers[third])) for x, y in ordered]
        out += _multi_array("trifecta", combos3, [p3[x, y, third] for x, y in ordered], p3.ravel())

    rank = {b: i for i, b in enumerate(BET_ORDER)}
    return tuple(sorted(out, key=lambda x: rank[x.bet_type]))


def _ordered_pairs(first: list[int], top2: list[int]) -> list[tuple[int, int]]:
    """Winning (1st, 2nd) orders: both orders when two horses dead-heat for first."""
    if len(first) >= 2:
        a, b = first[0], first[1]
        return [(a, b), (b, a)]
    return [(top2[0], top2[1])]


def _key(numbers: np.ndarray, i: int, j: int) -> tuple[int, int]:
    a, b = int(numbers[i]), int(numbers[j])
    return (a, b) if a < b else (b, a)


def _from_array(bet: BetType, combos, chosen, every: np.ndarray) -> Payout:
    return _multi_array(bet, combos, chosen, every)[0]


def _multi_array(bet: BetType, combos, chosen, every: np.ndarray) -> list[Payout]:
    """Payouts of the winning ``combos`` (stakes ``chosen``) of a pool whose every
    combination's stake is in ``every`` (zeros for impossible ones are fine)."""
    total = float(every.sum())
    shares = [float(c) / total for c in chosen]
    yen = _pay(shares, TAKEOUT[bet])
    return [
        Payout(bet, tuple(c), y, int((every > v).sum()) + 1)
        for c, y, v in zip(combos, yen, chosen, strict=True)
    ]


@functools.cache
def _triples(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    i, j, k = np.array(list(combinations(range(n), 3))).T if n >= 3 else (np.zeros(0, int),) * 3
    return i, j, k


def _pay(stakes: list[float], takeout: float) -> list[int]:
    k = len(stakes)
    profit = (1 - takeout) - sum(stakes)
    out = []
    for s in stakes:
        per_yen = 1 + profit / (k * max(s, 1e-12))
        out.append(max(100, int(np.floor(per_yen * 100 / 10 + 1e-9)) * 10))
    return out


def _rank(values: np.ndarray, v: float) -> int:
    return int((values > v).sum()) + 1


def _pop(x: int) -> int | None:
    return int(x) if x > 0 else None
