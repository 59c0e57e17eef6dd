"""race.netkeiba.com ``race/shutuba.html?race_id=``: the race card.

Runners are the ``tr.HorseList`` rows of ``table.Shutuba_Table``; its header
has two rows (お気に入り馬 spans 登録/グループ), which :class:`Table` handles
through colspans. The odds column's header is an update button, not a label,
so it is recognised by its ``id="sort_cell_odds"``. Pickup tables further
down the page repeat horse names and are never read.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.model import RaceCardPage
from forecast_keiba.netkeiba.parsing.entries import read_entries
from forecast_keiba.netkeiba.parsing.race_page import race_info_of
from forecast_keiba.netkeiba.parsing.tables import Table

_REQUIRED = ("horse", "horse_number")
_HEADER_IDS = {"sort_cell_odds": "odds"}


def parse_race_card(tree: LexborHTMLParser, source: str) -> RaceCardPage:
    """A race card → :class:`RaceCardPage`; ParseError when the card table is missing."""
    race = race_info_of(tree, source)
    node = tree.css_first("table.Shutuba_Table") or tree.css_first("table.ShutubaTable")
    if node is None:
        raise ParseError(source, "race card without a Shutuba_Table")
    table = Table(node, source, "race card", required=_REQUIRED, header_ids=_HEADER_IDS)
    return RaceCardPage(source=source, race=race, entries=read_entries(table, card=True))
