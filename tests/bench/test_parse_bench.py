"""The parse bench compares like with like: every parser reads the same pages
and agrees with ours on them before anything is timed (no timing asserted)."""

from __future__ import annotations

import json
from types import ModuleType

import pytest

from tests.bench.loader import load_bench


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("parse_bench")


def test_baselines_read_what_ours_reads(bench: ModuleType) -> None:
    pages = bench.generated_pages()[:4] + bench.replica_pages(4)
    bench.cross_check(pages)  # SystemExit on any disagreement
    name, content = pages[-1]
    ours = bench.ours(content, name)
    for baseline in bench.BASELINES.values():
        entries, payouts = bench.convert_batch([baseline(content)])
        finished = [e.finish_position for e in ours.entries]
        assert entries["finish"].tolist() == pytest.approx(
            [float("nan") if f is None else f for f in finished], nan_ok=True
        )
        assert payouts["yen"].sum() == sum(p.payout_yen for p in ours.payouts)


def test_cross_check_refuses_a_baseline_that_disagrees(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = bench.replica_pages(2)
    lean = bench.BASELINES["read_html+regex"]

    def off_by_one(content: bytes):
        page = lean(content)
        page.results["horse_id"] = page.results["horse_id"].iloc[::-1].to_numpy()
        return page

    monkeypatch.setitem(bench.BASELINES, "read_html+regex", off_by_one)
    with pytest.raises(SystemExit, match="disagree"):
        bench.cross_check(pages)


def test_bench_ends_with_its_json_line(bench: ModuleType, capsys: pytest.CaptureFixture) -> None:
    assert bench.main(["--rounds", "1", "--batch", "4", "--replica", "4"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = json.loads(last)
    assert set(figures) == {
        "ours_pages_per_s",
        "read_html_pages_per_s",
        "speedup",
        "lean_read_html_pages_per_s",
        "speedup_vs_lean",
    }
    assert figures["speedup"] == pytest.approx(
        figures["ours_pages_per_s"] / figures["read_html_pages_per_s"], rel=0.02
    )
