"""Payout rows from either site, validated the same way.

A payout row is a bet label plus parallel lists: winning combinations, yen
amounts and popularities. Place (複勝) and quinella-place (ワイド) rows carry
several values, and so does any bet after a dead heat (two 単勝 lines). The
three lists must line up; when they do not, the row is garbage and the page
fails with a :class:`ParseError` rather than pairing amounts with the wrong
horses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import cast

from forecast_keiba.netkeiba import vocab
from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.model import BetType, Payout
from forecast_keiba.netkeiba.parsing import cells

# Numbers per combination of each bet type, to catch a combination split wrongly.
_ARITY: dict[str, int] = {
    "win": 1,
    "place": 1,
    "bracket_quinella": 2,
    "quinella": 2,
    "quinella_place": 2,
    "exacta": 2,
    "bracket_exacta": 2,
    "trio": 3,
    "trifecta": 3,
}


def bet_type(label: str) -> BetType | None:
    """The bet type of a payout-row label ("単勝", "3連複", ...); None for unknown labels.

    Unknown labels (a future bet type) are skipped rather than failing the
    whole page: they are new information, not a broken layout.
    """
    return cast("BetType | None", vocab.BET_TYPE.get(cells.squash(label)))


def payout_rows(
    rows: Iterable[tuple[str, Sequence[str], Sequence[str], Sequence[str]]], source: str
) -> list[Payout]:
    """Turn (label, combination lines, yen lines, popularity lines) rows into Payouts."""
    payouts: list[Payout] = []
    for label, combinations, amounts, popularities in rows:
        kind = bet_type(label)
        if kind is None:
            continue
        if not combinations and not amounts:
            continue  # bet not sold (e.g. no 枠連 with few runners)
        if len(combinations) != len(amounts):
            raise ParseError(
                source,
                f"payout {label}: {len(combinations)} combination(s) but {len(amounts)} amount(s)",
            )
        if popularities and len(popularities) != len(amounts):
            raise ParseError(
                source,
                f"payout {label}: {len(amounts)} amount(s) "
                f"but {len(popularities)} popularity value(s)",
            )
        arity = _ARITY[kind]
        for index, combination_text in enumerate(combinations):
            try:
                combination = cells.parse_combination(combination_text)
                payout_yen = cells.parse_yen(amounts[index])
                popularity = cells.parse_popularity(popularities[index]) if popularities else None
            except ValueError as exc:
                raise ParseError(source, f"payout {label}: {exc}") from None
            if len(combination) != arity:
                raise ParseError(
                    source, f"payout {label}: combination {combination_text!r} is not {kind}"
                )
            payouts.append(Payout(kind, combination, payout_yen, popularity))
    return payouts
