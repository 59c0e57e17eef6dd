"""HTML renderers: page-model objects -> pages in netkeiba's real markup, as served.

Each renderer follows the saved real page of its kind (tags, classes, table summaries,
column order, header labels, link forms), with the site chrome (:mod:`._chrome`)
abridged. The optional context (see :mod:`.context`) adds what the model does not hold;
the ``urls`` only set absolute links, which real pages point at the live hosts.

One module to import: the db race page (result, no race) is in :mod:`.render_result`,
the day list in :mod:`.render_day`, the horse page in :mod:`.render_horse`,
race.netkeiba's card and race list in :mod:`.render_race`; they share
:mod:`.markup`, never each other.
"""

from __future__ import annotations

from netkeiba_replica.render_day import render_day_list
from netkeiba_replica.render_horse import render_horse_profile
from netkeiba_replica.render_race import render_race_card, render_race_list_sub
from netkeiba_replica.render_result import course_text, render_no_race_page, render_result_page

__all__ = [
    "CHARSET",
    "course_text",
    "encode",
    "render_day_list",
    "render_horse_profile",
    "render_no_race_page",
    "render_race_card",
    "render_race_list_sub",
    "render_result_page",
]

CHARSET = "euc_jp"


def encode(html: str) -> bytes:
    """The bytes netkeiba serves: EUC-JP (strict: an unencodable name is a bug)."""
    return html.encode(CHARSET)
