"""Pages → typed tables: quarantine, failure ratio, no-race pages, empty stores."""

from __future__ import annotations

import re

import pytest

from forecast_keiba.data.tables import (
    ENTRY_COLUMNS,
    RACE_COLUMNS,
    TooManyParseFailures,
    parse_result_pages,
    tables_from_pages,
)
from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.model import NoRacePage
from netkeiba_replica.render import encode, render_no_race_page, render_result_page
from netkeiba_replica.world import World, WorldConfig


@pytest.fixture(scope="module")
def world() -> World:
    return World(WorldConfig(seed=1, n_days=2, races_per_day=12, upcoming_days=1))


def failing(source: str):
    def parse():
        raise ParseError(source, "no result table")

    return parse


def test_tables_have_the_contract_columns_and_dtypes(world: World) -> None:
    ids = world.run_race_ids()
    tables = tables_from_pages((rid, lambda rid=rid: world.result_page(rid)) for rid in ids)
    assert list(tables.races.columns) == list(RACE_COLUMNS)
    assert list(tables.entries.columns) == list(ENTRY_COLUMNS)
    assert tables.races["race_id"].tolist() == sorted(ids)
    assert str(tables.entries["finish_position"].dtype) == "Int64"
    field = tables.entries.groupby("race_id").size()
    assert (tables.races.set_index("race_id")["field_size"] <= field).all()


def test_failed_pages_are_quarantined_below_the_allowed_ratio(world: World) -> None:
    ids = world.run_race_ids()
    pages = [(rid, lambda rid=rid: world.result_page(rid)) for rid in ids]
    pages.append(("bad/page.html", failing("bad/page.html")))
    tables = tables_from_pages(pages, max_failure_ratio=0.5)
    assert tables.failures.to_dict("records") == [
        {"source": "bad/page.html", "reason": "no result table"}
    ]
    assert len(tables.races) == len(ids)


def test_too_many_failures_fail_the_batch_naming_the_pages(world: World) -> None:
    pages = [(rid, lambda rid=rid: world.result_page(rid)) for rid in world.run_race_ids()[:3]]
    pages += [(f"bad/{i}.html", failing(f"bad/{i}.html")) for i in range(2)]
    with pytest.raises(TooManyParseFailures, match=r"2 of 5 pages.*bad/0\.html"):
        tables_from_pages(pages, max_failure_ratio=0.1)


def test_no_race_pages_are_skipped_not_quarantined() -> None:
    tables = tables_from_pages([("x", lambda: NoRacePage(source="x", race_id="202305010101"))])
    assert tables.races.empty and tables.failures.empty


def test_a_store_without_any_race_fails_naming_the_dataset(world: World) -> None:
    no_race = render_no_race_page(world.no_race_page("202305010101"))
    with pytest.raises(ValueError, match="raw_result_pages: none of 1 pages"):
        parse_result_pages({"x": lambda: no_race}, {})
    result = encode(render_result_page(world.result_page(world.run_race_ids()[0])))
    races, entries, payouts, failures = parse_result_pages(
        {"a": lambda: result.decode("euc_jp")}, {"max_failure_ratio": 0}
    )
    assert len(races) == 1 and len(entries) > 5 and len(payouts) >= 9 and failures.empty


def test_a_batch_with_damaged_pages_quarantines_them_and_keeps_the_rest(world: World) -> None:
    """The node on a page store where some pages were cut, doubled or garbled on the way."""
    ids = world.run_race_ids()[:12]
    clean = {rid: encode(render_result_page(world.result_page(rid))) for rid in ids}
    damaged = dict(clean)
    cut, doubled, garbled, relabelled = ids[1], ids[4], ids[7], ids[9]
    page = clean[cut]
    damaged[cut] = page[: page.index(b"</tr>", page.index(b"race_table_01")) + 200]
    row = re.search(rb"<tr>\s*<td[^>]*>\s*\d+\s*</td>.*?</tr>", clean[doubled], re.S)
    assert row is not None
    damaged[doubled] = clean[doubled][: row.end()] + row.group(0) + clean[doubled][row.end() :]
    name = world.result_page(garbled).entries[2].horse_name.encode("euc_jp")
    damaged[garbled] = clean[garbled].replace(name, b"\xff" + name[1:], 1)
    text = clean[relabelled].decode("euc_jp")
    damaged[relabelled] = text.replace("charset=euc-jp", "charset=utf-8").encode("utf-8")
    store = {rid: (lambda body=body: body) for rid, body in damaged.items()}

    races, entries, payouts, failures = parse_result_pages(store, {"max_failure_ratio": 0.3})
    assert failures["source"].tolist() == [
        f"raw_result_pages/{rid}" for rid in (cut, doubled, garbled)
    ]
    reasons = failures["reason"].tolist()
    assert "truncated" in reasons[0] and "repeats row" in reasons[1]
    assert "undecodable" in reasons[2]
    kept = [rid for rid in ids if rid not in (cut, doubled, garbled)]
    assert races["race_id"].tolist() == kept
    expected = parse_result_pages({rid: store[rid] for rid in kept}, {})
    assert entries.equals(expected[1]) and payouts.equals(expected[2])
    assert relabelled in races["race_id"].tolist()  # mislabelled but intact: read, not lost

    with pytest.raises(TooManyParseFailures, match=rf"3 of 12 pages.*{cut}.*{doubled}"):
        parse_result_pages(store, {"max_failure_ratio": 0.2})
