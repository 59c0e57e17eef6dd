"""The pages the parser fuzz test mutates: generated ones always, real ones when present.

Not a test module (the fuzz test and its batch test import it). Generated
pages come from the replica's renderers (the pages the pipeline really
scrapes, EUC-JP as served) and from ``page_builders`` (layouts the replica
does not render: race.netkeiba's result page, the horse-results fragment,
UTF-8 pages).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import page_builders as pb

from netkeiba_replica import World, WorldConfig, render

Page = tuple[str, bytes]


def replica_pages() -> list[Page]:
    """Result pages, race cards, day lists, a horse profile and a race list of a small world."""
    world = World(WorldConfig(seed=11, n_days=2, races_per_day=6, upcoming_days=1))
    pages: list[Page] = []
    run = world.run_race_ids()
    for rid in run[:: max(1, len(run) // 6)][:6]:
        html = render.render_result_page(world.result_page(rid), world.race_context(rid))
        pages.append((f"replica/race/{rid}", render.encode(html)))
    upcoming = world.upcoming_days()[0]
    for rid in world.race_ids_on(upcoming)[:2]:
        html = render.render_race_card(world.race_card(rid), world.race_context(rid))
        pages.append((f"replica/shutuba/{rid}", render.encode(html)))
    day = world.racing_days()[0]
    html = render.render_day_list(world.day_list(day), world.day_context(day))
    pages.append((f"replica/race/list/{day:%Y%m%d}", render.encode(html)))
    html = render.render_race_list_sub(
        world.upcoming_list(upcoming), world.day_context(upcoming, include_upcoming=True)
    )
    pages.append(
        (f"replica/top/race_list_sub.html?kaisai_date={upcoming:%Y%m%d}", render.encode(html))
    )
    horse = world.entries["horse"][0]
    hid = world.horses.ids[int(horse)]
    html = render.render_horse_profile(world.horse_profile(hid), world.horse_context(hid))
    pages.append((f"replica/horse/{hid}", render.encode(html)))
    return pages


def builder_pages() -> list[Page]:
    """Hand-built layouts: race.netkeiba result and card, UTF-8 db page, fragments."""
    field = pb.runners(12)
    past = [
        pb.PastRace(),
        pb.PastRace(date="2020/07/04", race_id="202002010408", finish="3", margin="0.4"),
    ]
    day = dt.date(2022, 12, 21)
    built: list[tuple[str, str | bytes]] = [
        ("builders/db_race_utf8", pb.db_race_page(field, encoding="utf-8")),
        ("builders/race_result", pb.race_result_page(field, encoding="euc_jp")),
        ("builders/race_card", pb.race_card_page(field, cancelled=("3",), encoding="euc_jp")),
        ("builders/horse_results", pb.horse_results_fragment(past)),
        (
            "builders/day_list",
            pb.db_race_list_page(day, [["202244122101", "202244122102"]], encoding="euc_jp"),
        ),
        (
            "builders/race_list_sub",
            pb.race_list_sub_page(["202001010101", "202001010102"], kaisai_date=day),
        ),
    ]
    return [(name, page.encode("utf-8") if isinstance(page, str) else page) for name, page in built]


def real_pages(directory: Path) -> list[Page]:
    """Every saved real page in ``directory``."""
    return [(f"real/{path.name}", path.read_bytes()) for path in sorted(directory.glob("*.html"))]
