"""Checks that what a table gave is whole and readable, not just well-formed.

Found by the mutation fuzz test (tests/netkeiba/parsing/test_parse_fuzz.py):
a results table with a repeated row parsed as a race with one runner too
many, a payout table with a repeated row paid a bet twice, and a page whose
bytes only decoded with replacement characters (see :mod:`..decode`) gave
horse names full of ``\\ufffd``, and a result page that lost its payout table
parsed as a race paying nothing. Each cell looked fine on its own; these
checks look across rows and at the text itself, and raise :class:`ParseError`
naming the page and the row.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Sequence

from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.model import Entry, Payout

# Replacement characters (bytes no charset could decode) and control
# characters other than whitespace (binary junk): never in netkeiba's text.
_GARBLED = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


def refuse_repeats(keys: Sequence[Hashable | None], source: str, what: str) -> None:
    """ParseError when a key (a horse id, a bet) occurs in two rows; None keys are ignored."""
    if len(set(keys)) == len(keys):
        return
    seen: dict[Hashable, int] = {}
    for row, key in enumerate(keys, start=1):
        if key is None:
            continue
        if key in seen:
            raise ParseError(source, f"{what}: row {row} repeats row {seen[key]} ({key!r})")
        seen[key] = row


def refuse_garbled(texts: Iterable[str | None], source: str, what: str) -> None:
    """ParseError when a text holds replacement or control characters (undecodable bytes)."""
    texts = list(texts)
    if _GARBLED.search("\n".join(text for text in texts if text)) is None:
        return
    for index, text in enumerate(texts):
        if text and _GARBLED.search(text):
            raise ParseError(source, f"{what}: undecodable bytes in {text!r} (item {index + 1})")


def refuse_missing_payouts(
    entries: Sequence[Entry], payouts: Sequence[Payout], source: str
) -> None:
    """ParseError when runners finished but the page pays nothing: its payout table
    was lost (a truncated download, a changed layout). Only a race nobody finished
    (cancelled) has no payouts, and a result without them must never be stored as
    complete: the backtest would settle every bet at zero."""
    finished = sum(1 for entry in entries if entry.finish_status == "finished")
    if finished and not payouts:
        raise ParseError(source, f"result page: {finished} runner(s) finished but no payouts "
                                 "(payout table missing or unreadable)")  # fmt: skip
