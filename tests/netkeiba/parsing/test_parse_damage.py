"""The damage the fuzz test found, one case each: each used to parse as silent garbage."""

from __future__ import annotations

import dataclasses
import re

import fuzz_corpus
import page_builders as pb
import pytest

from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.model import HorseProfilePage, RaceResultPage
from forecast_keiba.netkeiba.parsing import parse_page, truncation
from netkeiba_replica import World, WorldConfig, render


@pytest.fixture(scope="module")
def result_page() -> tuple[str, bytes]:
    return fuzz_corpus.replica_pages()[1]


def _rows_end(content: bytes) -> list[int]:
    """Offsets just after each ``</tr>`` of the results table (the first table with 着順)."""
    start = content.index(b"race_table_01")
    end = content.index(b"</table>", start)
    return [m.end() for m in re.finditer(rb"</tr>", content[:end]) if m.start() > start]


def test_a_result_page_cut_between_rows_is_refused(result_page: tuple[str, bytes]) -> None:
    """lexbor closes the table at the cut: it used to read as a smaller, complete field."""
    source, content = result_page
    cut = content[: _rows_end(content)[3]]
    with pytest.raises(ParseError, match="truncated page") as error:
        parse_page(cut, source=source)
    assert error.value.source == source


def test_a_page_cut_after_everything_read_is_still_refused(
    result_page: tuple[str, bytes],
) -> None:
    """Also cut after the payouts: netkeiba always sends </html>, a page without it is cut."""
    source, content = result_page
    cut = content[: content.rindex(b"</table>") + len(b"</table>")]
    assert isinstance(parse_page(content, source=source), RaceResultPage)
    with pytest.raises(ParseError, match="no closing </html>"):
        parse_page(cut, source=source)


def test_a_fragment_cut_inside_its_table_is_refused() -> None:
    fragment = pb.horse_results_fragment([pb.PastRace()])
    assert truncation(fragment) is None
    cut = fragment[: fragment.index("</tr>", fragment.index("<tbody>")) + len("</tr>")]
    assert truncation(cut) == "truncated fragment: 1 <table> but 0 closed"
    with pytest.raises(ParseError, match="truncated fragment"):
        parse_page(cut, source="ajax.html")


def test_a_repeated_runner_row_is_refused() -> None:
    field = pb.runners(8)
    with pytest.raises(ParseError, match=r"results table: row 9 repeats row 4"):
        parse_page(pb.db_race_page([*field, field[3]]), source="built.html")


def test_two_runners_with_one_horse_number_are_refused() -> None:
    field = pb.runners(8)
    twin = pb.Runner(**{**field[5].__dict__, "horse_id": "2017100001", "number": field[2].number})
    page = pb.db_race_page([*field[:5], twin, *field[6:]])
    with pytest.raises(ParseError, match=r"row 6 repeats row 3"):
        parse_page(page, source="built.html")


def test_a_repeated_payout_row_is_refused() -> None:
    field = pb.runners(8)
    payouts = pb.default_payouts(field)
    with pytest.raises(ParseError, match=r"payouts: row \d+ repeats row 1 \(\('win', "):
        parse_page(pb.db_race_page(field, payouts=[*payouts, payouts[0]]), source="built.html")


def test_undecodable_names_are_refused() -> None:
    """Bytes no charset decodes become U+FFFD (see decode.py); a name made of them is garbage."""
    field = pb.runners(8)
    page = pb.db_race_page(field, encoding="euc_jp")
    assert isinstance(page, bytes)
    name = field[4].horse_name.encode("euc_jp")
    damaged = page.replace(name, b"\xff\xfe" + name[2:], 1)
    with pytest.raises(ParseError, match="undecodable bytes") as error:
        parse_page(damaged, source="built.html")
    assert "(item 5)" in str(error.value)  # the fifth runner's row


def test_a_profile_page_without_its_profile_table_stays_a_profile_page() -> None:
    """It carries the horse-results table too, and was taken for that AJAX fragment."""
    world = World(WorldConfig(seed=2, n_days=2, races_per_day=6, upcoming_days=0))
    horse_id = world.horses.ids[int(world.entries["horse"][0])]
    html = render.render_horse_profile(world.horse_profile(horse_id), world.horse_context(horse_id))
    without = re.sub(r'<table class="db_prof_table.*?</table>', "", html, count=1, flags=re.S)
    assert without != html
    page = parse_page(render.encode(without), source=f"/horse/{horse_id}/")
    assert isinstance(page, HorseProfilePage)
    assert page.horse_id == horse_id and page.birth_date is None


def test_a_pedigree_whose_rowspans_do_not_add_up_is_refused() -> None:
    """A lost rowspan moved an ancestor into another generation: the sire read as a grandsire."""
    world = World(WorldConfig(seed=2, n_days=2, races_per_day=6, upcoming_days=0))
    horse_id = world.horses.ids[int(world.entries["horse"][0])]
    html = render.render_horse_profile(world.horse_profile(horse_id), world.horse_context(horse_id))
    assert isinstance(parse_page(render.encode(html), source="profile"), HorseProfilePage)
    broken = re.sub(r'(<table[^>]*blood_table.*?)rowspan="2"', r"\1", html, count=1, flags=re.S)
    assert broken != html
    with pytest.raises(ParseError, match=r"blood table: 1 ancestor.* in generation 1"):
        parse_page(render.encode(broken), source="profile")


def test_a_result_page_that_lost_its_payout_tables_is_refused(
    result_page: tuple[str, bytes],
) -> None:
    """It used to parse as a race that paid nothing: every bet on it settled at zero."""
    source, content = result_page
    html = content.decode("euc_jp")
    without = re.sub(r'<table[^>]*class="pay_table_01".*?</table>', "", html, flags=re.S)
    assert without != html
    with pytest.raises(ParseError, match=r"finished but no payouts"):
        parse_page(without.encode("euc_jp"), source=source)


def test_a_race_nobody_finished_has_no_payouts_and_parses() -> None:
    """A cancelled race (every runner scratched or pulled up) really pays nothing."""
    field = [dataclasses.replace(r, finish="取消", time="", odds="", popularity="")
             for r in pb.runners(6)]  # fmt: skip
    page = parse_page(pb.db_race_page(field, payouts=[]), source="cancelled.html")
    assert isinstance(page, RaceResultPage) and page.payouts == ()
    assert {entry.finish_status for entry in page.entries} == {"scratched"}


def test_a_pedigree_that_lost_a_parent_block_or_link_is_refused() -> None:
    """A lost parent block (generation 1) or a parent without its horse link used to
    parse with the sire/dam ids missing."""
    world = World(WorldConfig(seed=2, n_days=2, races_per_day=6, upcoming_days=0))
    horse_id = world.horses.ids[int(world.entries["horse"][0])]
    html = render.render_horse_profile(world.horse_profile(horse_id), world.horse_context(horse_id))
    start = html.index("blood_table")
    head, table = html[:start], html[start:]
    unlinked = head + re.sub(r'<a href="/horse/[^"]*"[^>]*>(.*?)</a>', r"\1", table, count=1)
    with pytest.raises(ParseError, match=r"parent without its horse link"):
        parse_page(render.encode(unlinked), source="profile")
    no_parents = head + re.sub(r'<td[^>]*rowspan="2"[^>]*>.*?</td>', "", table, flags=re.S)
    assert no_parents != html
    with pytest.raises(ParseError, match=r"generation\(s\) \[1\] missing"):
        parse_page(render.encode(no_parents), source="profile")
