"""``keiba parse`` through ``register``: JSON lines out, one error line per bad file, exit 1."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import page_builders as pb
import pytest

from forecast_keiba.netkeiba.parsing.cli import register


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="keiba")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_parse_good_and_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "race.html"
    good.write_bytes(pb.db_race_page(pb.runners(5), encoding="euc_jp"))  # type: ignore[arg-type]
    missing = tmp_path / "missing.html"
    missing.write_bytes(pb.no_race_page("201904060810", encoding="euc_jp"))  # type: ignore[arg-type]
    bad = tmp_path / "bad.html"
    bad.write_text("<html><head><title>not netkeiba</title></head><body></body></html>")
    absent = tmp_path / "absent.html"

    status = _run(["parse", str(good), str(bad), str(missing), str(absent)])

    out, err = capsys.readouterr()
    assert status == 1
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["kind"] for line in lines] == ["race_result", "no_race"]
    race = lines[0]
    assert race["race_id"] == "201901010101" and race["source"] == str(good)
    assert race["race"]["date"] == "2019-07-27"
    assert [e["horse_id"] for e in race["entries"]] == [r.horse_id for r in pb.runners(5)]
    assert race["payouts"][0] == {
        "bet_type": "win",
        "combination": [int(pb.runners(5)[0].number)],
        "payout_yen": 140,
        "popularity": 1,
    }
    assert "テストホース1" in out  # ensure_ascii=False keeps Japanese readable
    assert lines[1] == {"kind": "no_race", "race_id": "201904060810", "source": str(missing)}
    errors = err.splitlines()
    assert len(errors) == 2
    assert errors[0].startswith(f"error: {bad}: ") and "not a known netkeiba page" in errors[0]
    assert errors[1].startswith(f"error: {absent}: ")


def test_parse_all_good_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "card.html"
    page.write_text(pb.race_card_page(pb.runners(3)), encoding="utf-8")  # type: ignore[arg-type]
    assert _run(["parse", str(page)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    card = json.loads(out)
    assert card["kind"] == "race_card" and len(card["entries"]) == 3


def test_parse_needs_a_file() -> None:
    with pytest.raises(SystemExit):
        _run(["parse"])
