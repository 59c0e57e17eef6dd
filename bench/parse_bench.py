"""Pages per second of the lexbor parser vs ``pandas.read_html``-based parses of the same pages.

Two baselines, both what keiba projects do with ``pd.read_html``:

* ``read_html+soup`` (the headline): the approach of the widely copied keiba
  tutorials and the projects built on them: ``pd.read_html`` for the results
  and payout tables, ``BeautifulSoup(html, "html.parser")`` for the race
  header (``div.data_intro`` paragraphs) and for the horse, jockey and trainer
  ids (the ``/horse/`` ... links of ``table[summary=レース結果]``);
* ``read_html+regex`` (a leaner variant few projects write): the same tables,
  but ids and header taken from the page text with regexes, no second parse.

Both then convert the columns the model needs (finish, sex/age, body weight,
time, odds, payouts) vectorised, once per batch of pages, as keiba projects
do after scraping. Every parser starts from the page bytes, so all pay for
decoding.

All parsers run side by side in one process, round after round, over the
same pages: the ratios are robust to the machine being busy, the absolute
numbers less so. By default glibc's trim threshold is raised first (see
``forecast_keiba.netkeiba.parsing.allocator``), for every parser alike;
``--no-tune-allocator`` measures without it.

Two page sets, each timed on its own batch within the same rounds:

* real: ``--pages DIR`` (its db.netkeiba result pages; other pages are
  skipped), by default ``../shared/netkeiba/pages`` when present; without
  either, a "generated" set built by ``tests/netkeiba/parsing/page_builders.py``;
* replica: ``--replica N`` result pages of the offline replica
  (:mod:`netkeiba_replica`), rendered as its server serves them
  (EUC-JP, with the race context); ``--replica 0`` leaves them out.

Each set is reported on its own; the headline figures are over all pages
parsed in the run (total pages / total seconds, both sets together). The last
line printed is one JSON object: ``{"ours_pages_per_s": ...,
"read_html_pages_per_s": ..., "speedup": ..., "lean_read_html_pages_per_s":
..., "speedup_vs_lean": ...}`` (``read_html`` = the headline baseline).

Run: ``uv run python bench/parse_bench.py [--pages DIR] [--replica N] [--rounds N]``.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import io
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType

import pandas as pd
from bs4 import BeautifulSoup

from forecast_keiba.netkeiba.decode import decode_html
from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.model import RaceResultPage
from forecast_keiba.netkeiba.parsing import parse_page
from forecast_keiba.netkeiba.parsing.allocator import tune_allocator

REPO = Path(__file__).resolve().parents[1]
SHARED_PAGES = REPO / ".." / "shared" / "netkeiba" / "pages"
BUILDERS = REPO / "tests" / "netkeiba" / "parsing" / "page_builders.py"

Page = tuple[str, bytes]


@dataclass
class PageSet:
    """Pages timed as one batch, reported on their own."""

    name: str
    origin: str
    pages: list[Page]


# ---------------------------------------------------------------- the read_html baseline

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_HORSE = re.compile(r'href="?/horse/(\w{10})')
_JOCKEY = re.compile(r'href="?/jockey/(?:result/recent/)?(\w{5})')
_TRAINER = re.compile(r'href="?/trainer/(?:result/recent/)?(\w{5})')
_RACE_ID = re.compile(r'race_navi_result"?><a[^>]*href="?[^">]*/race/(\w{12})/')
_RACE_ID_IN_HREF = re.compile(r"/race/(\w{12})/")
_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_CONDITIONS = re.compile(
    r"(芝|ダ|障)\D*?(\d{3,4})m.*?天候\s*:\s*(\S+?)(?:&nbsp;|\s|/).*?:\s*(\S+?)(?:&nbsp;|\s|/)"
    r".*?発走\s*:\s*(\d+:\d+)",
    re.DOTALL,
)


@dataclass
class RawPage:
    """What the baseline takes from one page before the batch conversion."""

    race_id: str | None
    date: tuple[str, ...] | None
    conditions: tuple[str, ...] | None
    results: pd.DataFrame
    payouts: pd.DataFrame


def _read_tables(text: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """read_html's results table and its two payout tables."""
    tables = pd.read_html(io.StringIO(_BR.sub("br", text)), flavor="lxml")  # keep <br> splits
    results = tables[0].rename(columns=lambda c: "".join(str(c).replace("br", "").split()))
    payouts = pd.concat(tables[1:3], ignore_index=True)
    payouts.columns = ["label", "combination", "yen", "popularity"]
    return results, payouts


def _raw_page(
    results: pd.DataFrame,
    payouts: pd.DataFrame,
    race_id: str | None,
    ids: dict[str, list[str]],
    header: str,
) -> RawPage:
    results["race_id"] = race_id
    for column, values in ids.items():
        results[column] = values[: len(results)]
    payouts["race_id"] = race_id
    date, conditions = _DATE.search(header), _CONDITIONS.search(header)
    return RawPage(
        race_id=race_id,
        date=date.groups() if date else None,
        conditions=conditions.groups() if conditions else None,
        results=results,
        payouts=payouts,
    )


def read_html_soup_page(content: bytes) -> RawPage:
    """The common approach, per page: read_html's tables, BeautifulSoup for header and ids.

    As the keiba tutorials write it: the header is the text of the
    ``div.data_intro`` paragraphs, the ids are the digits of the ``/horse/``,
    ``/jockey/`` and ``/trainer/`` links in the results table.
    """
    text = decode_html(content)
    results, payouts = _read_tables(text)
    soup = BeautifulSoup(text, "html.parser")
    paragraphs = soup.find("div", attrs={"class": "data_intro"}).find_all("p")
    header = paragraphs[0].text + paragraphs[1].text
    table = soup.find("table", attrs={"summary": "レース結果"})
    ids = {
        f"{kind}_id": [
            re.findall(r"\w+", link["href"])[-1]
            for link in table.find_all("a", attrs={"href": re.compile(f"^/{kind}/")})
        ]
        for kind in ("horse", "jockey", "trainer")
    }
    tab = soup.find("li", attrs={"class": "race_navi_result"})
    found = _RACE_ID_IN_HREF.search(tab.a["href"]) if tab is not None and tab.a else None
    return _raw_page(results, payouts, found.group(1) if found else None, ids, header)


def read_html_regex_page(content: bytes) -> RawPage:
    """The lean variant, per page: read_html's tables, regexes for ids and the race header."""
    text = decode_html(content)
    results, payouts = _read_tables(text)
    race_id = _RACE_ID.search(text)
    ids = {
        "horse_id": _HORSE.findall(text),
        "jockey_id": _JOCKEY.findall(text),
        "trainer_id": _TRAINER.findall(text),
    }
    return _raw_page(results, payouts, race_id.group(1) if race_id else None, ids, text)


BASELINES = {"read_html+soup": read_html_soup_page, "read_html+regex": read_html_regex_page}


def convert_batch(pages: list[RawPage]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The baseline, per batch: the typed columns, vectorised over all pages at once.

    Keiba projects convert after scraping, on the concatenated frame, so this
    cost is shared by the whole batch instead of paid per page.
    """
    results = pd.concat([page.results for page in pages], ignore_index=True)
    df = pd.DataFrame({"race_id": results["race_id"], "horse_id": results["horse_id"]})
    df["jockey_id"] = results["jockey_id"]
    df["trainer_id"] = results["trainer_id"]
    df["finish"] = pd.to_numeric(results["着順"], errors="coerce")
    df["horse_number"] = pd.to_numeric(results["馬番"], errors="coerce")
    sex_age = results["性齢"].astype(str)
    df["sex"] = sex_age.str[0]
    df["age"] = pd.to_numeric(sex_age.str[1:], errors="coerce")
    df["weight_carried"] = pd.to_numeric(results["斤量"], errors="coerce")
    body = results["馬体重"].astype(str).str.extract(r"(\d+)\(([-+]?\d+)\)")
    df["body_weight"] = pd.to_numeric(body[0], errors="coerce")
    df["body_weight_diff"] = pd.to_numeric(body[1], errors="coerce")
    clock = results["タイム"].astype(str).str.extract(r"(\d+):(\d+\.\d)")
    minutes = pd.to_numeric(clock[0], errors="coerce")
    df["time_s"] = minutes * 60 + pd.to_numeric(clock[1], errors="coerce")
    df["win_odds"] = pd.to_numeric(results["単勝"], errors="coerce")
    df["popularity"] = pd.to_numeric(results["人気"], errors="coerce")

    payouts = pd.concat([page.payouts for page in pages], ignore_index=True)
    for column in ("combination", "yen", "popularity"):
        payouts[column] = payouts[column].astype(str).str.split("br")
    payouts = payouts.explode(["combination", "yen", "popularity"], ignore_index=True)
    payouts["combination"] = payouts["combination"].str.findall(r"\d+")
    payouts["yen"] = pd.to_numeric(payouts["yen"].str.replace(",", ""), errors="coerce")
    payouts["popularity"] = pd.to_numeric(payouts["popularity"], errors="coerce")
    return df, payouts


def ours(content: bytes, source: str) -> RaceResultPage:
    page = parse_page(content, source)
    if not isinstance(page, RaceResultPage):
        raise TypeError(f"{source}: {page.kind}, not a result page")
    return page


# ---------------------------------------------------------------- pages


def _builders() -> ModuleType:
    spec = importlib.util.spec_from_file_location("page_builders", BUILDERS)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the page builders at {BUILDERS}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


def generated_pages() -> list[Page]:
    """24 db.netkeiba result pages, 6 to 18 runners, EUC-JP and UTF-8, some statuses."""
    pb = _builders()
    pages: list[Page] = []
    for index in range(24):
        size = 6 + index % 13
        field = pb.runners(size, first_horse_id=2015100000 + 100 * index)
        if index % 4 == 3:
            field[-1] = pb.replace(field[-1], finish="中", time="", margin="")
        race_id = f"2019{1 + index % 10:02d}0101{1 + index % 12:02d}"
        encoding = "euc_jp" if index % 2 else "utf-8"
        content = pb.db_race_page(field, race_id=race_id, encoding=encoding)
        pages.append((f"generated-{race_id}-{size}.html", content))
    return pages


def replica_pages(count: int, seed: int = 42) -> list[Page]:
    """``count`` result pages of a replica world, as its server renders them.

    Two racing days of ``ceil(count / 2)`` races each: JRA-sized fields (9 to 18
    runners for the default 48), turf and dirt, the odd scratched or pulled-up
    horse, the nine bet types paid out.
    """
    from netkeiba_replica.render import encode, render_result_page
    from netkeiba_replica.world import World, WorldConfig

    per_day = max(1, min(120, -(-count // 2)))
    world = World(WorldConfig(seed=seed, n_days=2, races_per_day=per_day, upcoming_days=0))
    pages: list[Page] = []
    for race_id in world.run_race_ids()[:count]:
        page = render_result_page(world.result_page(race_id), world.race_context(race_id))
        pages.append((f"replica-{race_id}.html", encode(page)))
    return pages


def load_pages(directory: Path) -> list[Page]:
    """The db.netkeiba result pages among ``directory``'s ``*.html`` (by content)."""
    pages: list[Page] = []
    for path in sorted(directory.glob("*.html")):
        content = path.read_bytes()
        try:
            ours(content, str(path))
        except (ParseError, TypeError):
            continue
        pages.append((path.name, content))
    return pages


def cross_check(pages: list[Page]) -> None:
    """Every parser must agree on the basics, or the comparison means nothing."""
    for name, content in pages:
        mine = ours(content, name)
        for baseline_name, baseline in BASELINES.items():
            entries, payouts = convert_batch([baseline(content)])
            same = (
                len(mine.entries) == len(entries)
                and [e.horse_id for e in mine.entries] == entries["horse_id"].tolist()
                and [e.jockey_id for e in mine.entries] == entries["jockey_id"].tolist()
                and mine.race.race_id == entries["race_id"].iloc[0]
                and len(mine.payouts) == len(payouts)
                and [p.payout_yen for p in mine.payouts] == payouts["yen"].tolist()
            )
            if not same:
                raise SystemExit(f"{name}: ours and {baseline_name} disagree; fix the bench first")


# ---------------------------------------------------------------- timing


@dataclass
class Timing:
    """Seconds each parser spent on one page set, and the pages each parsed."""

    seconds: dict[str, float]
    pages: int = 0

    def rate(self, parser: str) -> float:
        """Pages per second of ``parser``."""
        return self.pages / self.seconds[parser]


def _time_ours(batch: list[Page]) -> float:
    start = time.perf_counter()
    for name, content in batch:
        ours(content, name)
    return time.perf_counter() - start


def _time_baseline(baseline: Callable[[bytes], RawPage], batch: list[Page]) -> float:
    start = time.perf_counter()
    convert_batch([baseline(content) for _, content in batch])
    return time.perf_counter() - start


def measure(sets: list[PageSet], rounds: int, batch_size: int) -> list[Timing]:
    """Seconds per parser on ``rounds`` interleaved batches of every set.

    A set's batch is its page list repeated up to ``batch_size`` pages, the
    size over which the baselines share their vectorised conversion. Each
    round times, set after set, one batch per parser, back to back.
    """
    batches = [page_set.pages * max(1, batch_size // len(page_set.pages)) for page_set in sets]
    timers: dict[str, Callable[[list[Page]], float]] = {"ours": _time_ours}
    for name, baseline in BASELINES.items():
        timers[name] = partial(_time_baseline, baseline)
    for batch in batches:  # warm-up
        for timer in timers.values():
            timer(batch)
    timings = [Timing(dict.fromkeys(timers, 0.0)) for _ in sets]
    for _ in range(rounds):
        for batch, timing in zip(batches, timings, strict=True):
            for name, timer in timers.items():
                gc.collect()
                timing.seconds[name] += timer(batch)
            timing.pages += len(batch)
    return timings


def report(label: str, timing: Timing) -> dict[str, float]:
    """Print one set's figures; return them as the JSON line's fields."""
    print(f"{label}:")
    for parser in timing.seconds:
        rate = timing.rate(parser)
        speedup = timing.rate("ours") / rate
        print(
            f"  {parser:16s} {rate:9.1f} pages/s {1000 / rate:8.3f} ms/page  ours is {speedup:.1f}x"
        )
    headline, lean = (timing.rate(parser) for parser in BASELINES)
    return {
        "ours_pages_per_s": round(timing.rate("ours"), 1),
        "read_html_pages_per_s": round(headline, 1),
        "speedup": round(timing.rate("ours") / headline, 1),
        "lean_read_html_pages_per_s": round(lean, 1),
        "speedup_vs_lean": round(timing.rate("ours") / lean, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, help="directory of saved db.netkeiba result pages")
    parser.add_argument(
        "--replica",
        type=int,
        default=48,
        metavar="N",
        help="replica result pages to add as a second set (default 48; 0: none)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="interleaved batches (default 5)")
    parser.add_argument(
        "--batch", type=int, default=100, help="pages per batch, repeating the list (default 100)"
    )
    parser.add_argument(
        "--no-tune-allocator", action="store_true", help="keep glibc's default trim threshold"
    )
    args = parser.parse_args(argv)

    tuned = False if args.no_tune_allocator else tune_allocator()
    if args.pages is not None:
        first = PageSet("real", str(args.pages), load_pages(args.pages))
    elif SHARED_PAGES.is_dir() and (shared := load_pages(SHARED_PAGES)):
        first = PageSet("real", str(SHARED_PAGES.resolve()), shared)
    else:
        origin = "tests/netkeiba/parsing/page_builders.py"
        first = PageSet("generated", origin, generated_pages())
    if not first.pages:
        raise SystemExit(f"no db.netkeiba result pages in {first.origin}")
    sets = [first]
    if args.replica > 0:
        replica = replica_pages(args.replica)
        sets.append(PageSet("replica", "netkeiba_replica, EUC-JP as served", replica))
    for page_set in sets:
        cross_check(page_set.pages)

    timings = measure(sets, args.rounds, args.batch)
    for page_set, timing in zip(sets, timings, strict=True):
        batch = timing.pages // args.rounds
        print(f"{page_set.name} pages: {len(page_set.pages)} from {page_set.origin}")
        print(f"  {args.rounds} interleaved rounds of a {batch}-page batch per parser")
    print(f"allocator trim threshold raised: {tuned}")
    print("baselines: read_html tables per page (+ soup or regex for ids), conversion per batch")
    for page_set, timing in zip(sets, timings, strict=True):
        print(json.dumps({"set": page_set.name, **report(page_set.name, timing)}))
    total = Timing(
        {parser: sum(t.seconds[parser] for t in timings) for parser in timings[0].seconds},
        sum(t.pages for t in timings),
    )
    print(json.dumps(report("all pages", total)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
