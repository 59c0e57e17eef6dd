"""The table helpers the page parsers share: header reading (and its cache), links."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.parsing.tables import Table, first_link, link_in

_HEADER = "<tr><th>着<br>順</th><th>馬名</th><th colspan='2'>馬番</th><th>単勝</th></tr>"


def _table(header: str = _HEADER, body: str = "") -> LexborNode:
    node = LexborHTMLParser(f"<table>{header}{body}</table>").css_first("table")
    assert node is not None
    return node


def _row(*cells: str) -> str:
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def test_header_maps_labels_to_positions_counting_colspans() -> None:
    table = Table(_table(body=_row("1", "x", "3", "", "1.4")), "t.html", "t")
    assert table.columns == {"finish": 0, "horse": 1, "horse_number": 2, "odds": 4}
    assert table.labels == ["着順", "馬名", "馬番", "単勝"] and table.width == 5


def test_tables_sharing_a_header_do_not_share_its_mapping() -> None:
    first = Table(_table(body=_row("1", "x", "3", "", "1.4")), "a.html", "t")
    first.columns["finish"] = 99
    first.labels.append("extra")
    second = Table(_table(body=_row("2", "y", "4", "", "2.0")), "b.html", "t")
    assert second.columns["finish"] == 0 and second.labels[-1] == "単勝"


def test_custom_keys_are_not_answered_from_the_default_header_cache() -> None:
    Table(_table(body=_row("1", "x", "3", "", "1.4")), "a.html", "t")  # cached, default keys
    custom = Table(
        _table(body=_row("1", "x", "3", "", "1.4")), "b.html", "t", keys={"馬名": "name"}
    )
    assert custom.columns == {"name": 1}


def test_missing_columns_are_checked_per_table_even_for_a_known_header() -> None:
    Table(_table(body=_row("1", "x", "3", "", "1.4")), "a.html", "t")
    with pytest.raises(ParseError, match=r"missing column\(s\) trainer"):
        Table(_table(body=_row("1", "x", "3", "", "1.4")), "b.html", "t", required=("trainer",))


def test_a_header_after_other_rows_is_found() -> None:
    caption = "<tr><td colspan='5'>レース結果</td></tr>"
    table = Table(_table(caption + _HEADER, _row("1", "x", "3", "", "1.4")), "c.html", "t")
    assert table.columns["odds"] == 4 and len(table.rows) == 1


def test_a_table_without_header_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="no header row"):
        Table(_table(header="", body=_row("1", "x")), "d.html", "t")


@pytest.mark.parametrize(
    "cell",
    [
        '<td><a href="/horse/2019105096/" title="ヴィブラフォン">ヴィブラフォン</a></td>',
        '<td>\n<a href="/horse/2019105096/" title="ヴィブラフォン">ヴィブラフォン</a>\n</td>',
        '<td><span>▲</span><a href="/horse/2019105096/" title="ヴィブラフォン">x</a></td>',
        '<td><a href="/jockey/01170/">j</a> <a href="/horse/2019105096/" '
        'title="ヴィブラフォン">x</a></td>',
    ],
)
def test_link_in_finds_the_link_and_its_attributes(cell: str) -> None:
    node = LexborHTMLParser(f"<table><tr>{cell}</tr></table>").css_first("td")
    found = link_in(node, "horse")
    assert found is not None
    link, attributes = found
    assert attributes["href"] == "/horse/2019105096/" and attributes["title"] == "ヴィブラフォン"
    assert first_link(node, "horse") is not None and link.tag == "a"


def test_link_in_without_a_matching_link() -> None:
    node = LexborHTMLParser('<table><tr><td><a href="/jockey/01170/">j</a> x</td></tr></table>')
    assert link_in(node.css_first("td"), "horse") is None
    assert link_in(None, "horse") is None and first_link(None, "horse") is None
