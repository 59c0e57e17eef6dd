"""Pages per second of the lexbor parser vs a ``pandas.read_html`` parse of the same pages.

The baseline is what common keiba projects do: ``pd.read_html`` on the page
text, take the results table and the payout tables, regex the horse, jockey
and trainer ids and the race conditions out of the text, and convert the
columns the model needs (finish, sex/age, body weight, time, odds, payouts).
Both sides start from the page bytes, so both pay for decoding.

Both parsers run side by side in one process, round after round, over the
same pages: the ratio is robust to the machine being busy, the absolute
numbers less so. By default glibc's trim threshold is raised first (see
``forecast_keiba.netkeiba.parsing.allocator``), for both sides alike;
``--no-tune-allocator`` measures without it.

Two page sets, each timed on its own batch within the same rounds:

* real: ``--pages DIR`` (its db.netkeiba result pages; other pages are
  skipped), by default ``../shared/netkeiba/pages`` when present; without
  either, a "generated" set built by ``tests/netkeiba/parsing/page_builders.py``;
* replica: ``--replica N`` result pages of the offline replica
  (:mod:`forecast_keiba.replica`), rendered as its server serves them
  (EUC-JP, with the race context); ``--replica 0`` leaves them out.

Each set is reported on its own; the headline figures are over all pages
parsed in the run (total pages / total seconds, both sets together). The last
line printed is one JSON object:
``{"ours_pages_per_s": ..., "read_html_pages_per_s": ..., "speedup": ...}``.

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
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pandas as pd

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


def read_html_page(content: bytes) -> RawPage:
    """The baseline, per page: read_html's tables plus regexes for ids and the race header."""
    text = _BR.sub("br", decode_html(content))  # keep <br>-joined values splittable
    tables = pd.read_html(io.StringIO(text), flavor="lxml")
    results = tables[0].rename(columns=lambda c: "".join(str(c).replace("br", "").split()))
    race_id = _RACE_ID.search(text)
    results["race_id"] = race_id.group(1) if race_id else None
    results["horse_id"] = _HORSE.findall(text)[: len(results)]
    results["jockey_id"] = _JOCKEY.findall(text)[: len(results)]
    results["trainer_id"] = _TRAINER.findall(text)[: len(results)]
    payouts = pd.concat(tables[1:3], ignore_index=True)
    payouts.columns = ["label", "combination", "yen", "popularity"]
    payouts["race_id"] = results["race_id"].iloc[0]
    date, conditions = _DATE.search(text), _CONDITIONS.search(text)
    return RawPage(
        race_id=race_id.group(1) if race_id else None,
        date=date.groups() if date else None,
        conditions=conditions.groups() if conditions else None,
        results=results,
        payouts=payouts,
    )


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
    from forecast_keiba.replica.render import encode, render_result_page
    from forecast_keiba.replica.world import World, WorldConfig

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
    """Both parsers must agree on the basics, or the comparison means nothing."""
    for name, content in pages:
        mine = ours(content, name)
        entries, payouts = convert_batch([read_html_page(content)])
        same = (
            len(mine.entries) == len(entries)
            and mine.entries[0].horse_id == entries["horse_id"].iloc[0]
            and mine.race.race_id == entries["race_id"].iloc[0]
            and len(mine.payouts) == len(payouts)
            and [p.payout_yen for p in mine.payouts] == payouts["yen"].tolist()
        )
        if not same:
            raise SystemExit(f"{name}: the two parsers disagree; fix the bench first")


# ---------------------------------------------------------------- timing


@dataclass
class Timing:
    """Seconds each parser spent on one page set, and the pages each parsed."""

    ours_s: float = 0.0
    baseline_s: float = 0.0
    pages: int = 0

    def rates(self) -> tuple[float, float]:
        """(ours, read_html) pages per second."""
        return self.pages / self.ours_s, self.pages / self.baseline_s


def measure(
    sets: list[PageSet], rounds: int, batch_size: int, per_page: bool = False
) -> list[Timing]:
    """(ours, read_html) seconds on ``rounds`` interleaved batches of every set.

    A set's batch is its page list repeated up to ``batch_size`` pages, the
    size over which the baseline shares its vectorised conversion
    (``per_page`` converts each page on its own instead). Each round times,
    set after set, one batch per parser, back to back.
    """
    batches = [page_set.pages * max(1, batch_size // len(page_set.pages)) for page_set in sets]

    def ours_batch(batch: list[Page]) -> float:
        start = time.perf_counter()
        for name, content in batch:
            ours(content, name)
        return time.perf_counter() - start

    def baseline_batch(batch: list[Page]) -> float:
        start = time.perf_counter()
        if per_page:  # a scraper that stores typed rows page by page
            for _, content in batch:
                convert_batch([read_html_page(content)])
        else:
            convert_batch([read_html_page(content) for _, content in batch])
        return time.perf_counter() - start

    for batch in batches:  # warm-up
        ours_batch(batch), baseline_batch(batch)
    timings = [Timing() for _ in sets]
    for _ in range(rounds):
        for batch, timing in zip(batches, timings, strict=True):
            gc.collect()
            timing.ours_s += ours_batch(batch)
            gc.collect()
            timing.baseline_s += baseline_batch(batch)
            timing.pages += len(batch)
    return timings


def report(label: str, timing: Timing) -> dict[str, float]:
    """Print one set's figures; return them as the JSON line's fields."""
    ours_rate, baseline_rate = timing.rates()
    print(f"{label}:")
    print(f"  ours (lexbor):    {ours_rate:9.1f} pages/s {1000 / ours_rate:8.3f} ms/page")
    print(f"  pandas.read_html: {baseline_rate:9.1f} pages/s {1000 / baseline_rate:8.3f} ms/page")
    print(f"  speedup: {ours_rate / baseline_rate:.1f}x")
    return {
        "ours_pages_per_s": round(ours_rate, 1),
        "read_html_pages_per_s": round(baseline_rate, 1),
        "speedup": round(ours_rate / baseline_rate, 1),
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
        "--per-page-conversion",
        action="store_true",
        help="baseline converts each page's tables on their own instead of once per batch",
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
        sets.append(PageSet("replica", "forecast_keiba.replica, EUC-JP as served", replica))
    for page_set in sets:
        cross_check(page_set.pages)

    timings = measure(sets, args.rounds, args.batch, per_page=args.per_page_conversion)
    for page_set, timing in zip(sets, timings, strict=True):
        batch = timing.pages // args.rounds
        print(f"{page_set.name} pages: {len(page_set.pages)} from {page_set.origin}")
        print(f"  {args.rounds} interleaved rounds of a {batch}-page batch per parser")
    print(f"allocator trim threshold raised: {tuned}")
    conversion = "per page" if args.per_page_conversion else "once per batch"
    print(f"baseline: read_html + regex ids per page, typed conversion {conversion}")
    for page_set, timing in zip(sets, timings, strict=True):
        print(json.dumps({"set": page_set.name, **report(page_set.name, timing)}))
    total = Timing(
        sum(t.ours_s for t in timings),
        sum(t.baseline_s for t in timings),
        sum(t.pages for t in timings),
    )
    print(json.dumps(report("all pages", total)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
