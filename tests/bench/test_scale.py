"""The scale bench's machinery on a tiny world: fresh subprocesses, real stages, its JSON line.

The 10-year run itself is `make bench`, never part of the test suite.
"""

from __future__ import annotations

import json
from types import ModuleType

import pytest

from tests.bench.loader import load_bench


@pytest.fixture(scope="module")
def scale() -> ModuleType:
    return load_bench("scale")


def test_tiny_worlds_end_with_the_json_line(
    scale: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert scale.main(["--years", "0.04", "0.08", "--races-per-day", "6"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(out[-1])
    assert {"parse_pages_per_s_per_core", "train_10y_s", "peak_rss_gb"} <= set(figures)
    small, big = figures["sizes"]
    # 4 and 8 race days of 6 races: every page parsed, every runner tabulated and featured
    assert (small["races"], big["races"]) == (24, 48)
    assert big["entries"] > small["entries"] > 0
    assert big["feature_rows"] <= big["entries"] and big["train_rows"] < big["feature_rows"]
    assert figures["train_10y_s"] == pytest.approx(big["train_s"], abs=0.05)
    assert figures["peak_rss_gb"] == pytest.approx(big["train_peak_rss_gb"], abs=0.01)
    assert figures["parse_pages_per_s_per_core"] > 0 and big["peak_rss_gb"] > 0
    assert figures["model_kind"] == scale.training_parameters(None)["model"]["kind"]
    assert any("growth exponent" in line for line in out)


def test_the_model_kind_follows_the_parameter(scale: ModuleType) -> None:
    training = scale.training_parameters("some_new_kind")
    assert training["model"] == {"kind": "some_new_kind"}
    assert training["test_fraction"] == scale.training_parameters(None)["test_fraction"]


def test_growth_exponent_is_one_for_linear_stages(scale: ModuleType) -> None:
    small = {"entries": 1_000, "fit_s": 2.0}
    big = {"entries": 10_000, "fit_s": 20.0}
    quadratic = {"entries": 10_000, "fit_s": 200.0}
    assert scale.growth(small, big, "fit_s") == pytest.approx(1.0)
    assert scale.growth(small, quadratic, "fit_s") == pytest.approx(2.0)
