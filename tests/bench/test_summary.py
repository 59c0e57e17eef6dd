"""`make bench`'s summary: every script's JSON line becomes rows with verdicts, and a
failing or silent script makes the run fail instead of vanishing from the table."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.bench.loader import load_bench


@pytest.fixture(scope="module")
def summary() -> ModuleType:
    return load_bench("summary")


def test_the_last_json_line_is_the_figures(summary: ModuleType) -> None:
    output = 'table...\n{"set": "a", "x": 1}\nmore\n{"speedup": 57.4}\n'
    assert summary.last_json_line(output) == {"speedup": 57.4}
    assert summary.last_json_line("no figures here\n") is None


def test_targets_get_verdicts_and_a_miss_fails_the_run(summary: ModuleType) -> None:
    bridge = {"bridge_ms_per_node": 20.0, "prefect_ms_per_node": 19.0,
              "kedro_ms_per_node": 6.0, "overhead_ratio": 1.05,
              "cached_rerun_ratio": 0.31, "database": "postgresql"}  # fmt: skip
    text, ok = summary.summarize({"bridge_overhead": (bridge, "", 120.0)})
    rows = {line.split("  ")[1].strip(): line for line in text.splitlines()[2:]}
    assert rows["bridge / hand-written Prefect"].rstrip().endswith("met")
    assert rows["cached / cold training run"].rstrip().endswith("MISSED")
    assert "postgresql" in rows["Prefect server database"]
    assert not ok
    _, ok = summary.summarize({"bridge_overhead": ({**bridge, "cached_rerun_ratio": 0.05}, "", 1)})
    assert ok


def test_a_failing_script_is_reported_and_fails_the_run(summary: ModuleType) -> None:
    text, ok = summary.summarize({"scale": (None, "exited 1", 3.0)})
    assert "FAILED: exited 1" in text and not ok


def test_scripts_run_for_real_and_their_figures_reach_the_table(
    summary: ModuleType, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:  # fmt: skip
    script = summary.Script("tiny", (summary.Figure("speed", "tiny speed", 2.0),))
    (tmp_path / "tiny.py").write_text(
        'import json\nprint("working")\nprint(json.dumps({"speed": 3}))\n'
    )
    monkeypatch.setattr(summary, "BENCH", tmp_path)
    monkeypatch.setattr(summary, "SCRIPTS", (script,))
    assert summary.main([]) == 0
    out = capsys.readouterr().out
    assert "working" in out  # the script's own report is shown as it runs
    assert out.strip().splitlines()[-1] == f"tiny: {json.dumps({'speed': 3})}"
    assert any("tiny speed" in line and line.rstrip().endswith("met") for line in out.splitlines())
    (tmp_path / "tiny.py").write_text("raise SystemExit(3)\n")
    assert summary.main([]) == 1
    assert "FAILED: exited 3" in capsys.readouterr().out
