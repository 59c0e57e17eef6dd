"""The per-race ranking model: it recovers a planted per-race signal (conditional
logit and Plackett–Luce), CPU and CUDA are one code path, and as a model kind it
trains, predicts and names its device like the others."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast_keiba.data.tables import tables_from_pages
from forecast_keiba.features.pre_race import features_from_tables
from forecast_keiba.models import race_model
from forecast_keiba.models.fitting import fit_race_model, model_card, split_by_date, train_win_model
from forecast_keiba.models.race_model import (
    RaceRanker,
    cuda_devices,
    fit_scores,
    pack_races,
    race_softmax,
    resolve_device,
)
from netkeiba_replica.world import World, WorldConfig

# The planted signal: strength = x·BETA, finishing order = Plackett–Luce (Gumbel
# noise on the strengths), the way the replica world runs its races.
BETA = np.array([1.0, -0.5, 0.25, 0.0])


def simulated_races(races: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(6, 17, races)
    race_id = np.repeat(np.arange(races), sizes)
    x = rng.normal(size=(len(race_id), len(BETA)))
    performance = x @ BETA + rng.gumbel(size=len(race_id))
    position = np.empty(len(race_id))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    for start, size in zip(starts, sizes, strict=True):
        ranks = np.argsort(np.argsort(-performance[start : start + size]))
        position[start : start + size] = ranks + 1
    return x, race_id, position


@pytest.fixture(scope="module")
def planted() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return simulated_races(1500)


@pytest.mark.parametrize(
    ("depth", "tolerance"),
    # Standard errors on 1,500 races: ~0.04 from the winners alone, ~0.015 from
    # every placing; the tolerances are about three of them.
    [(1, 0.12), (None, 0.05)],
    ids=["conditional_logit", "plackett_luce"],
)
def test_recovers_the_planted_coefficients(planted, depth, tolerance) -> None:
    x, race_id, position = planted
    fit = fit_scores(pack_races(x, race_id, position, depth=depth), l2=0.0, device="cpu")
    assert fit.converged and fit.device == "cpu"
    np.testing.assert_allclose(fit.params["w"], BETA, atol=tolerance)


def test_plackett_luce_learns_more_from_a_race_than_its_winner(planted) -> None:
    x, race_id, position = planted
    errors = {}
    for depth in (1, None):
        fit = fit_scores(pack_races(x, race_id, position, depth=depth), device="cpu")
        errors[depth] = np.abs(fit.params["w"] - BETA).max()
    assert errors[None] < errors[1]


def test_races_are_packed_in_finishing_order() -> None:
    x = np.arange(7, dtype=float)[:, None]
    race_id = np.array(["b", "a", "a", "b", "a", "b", "b"])
    position = np.array([2, 3, 1, np.nan, 2, 1, 3])  # b's 4th runner did not finish
    batch = pack_races(x, race_id, position)
    assert batch.rows.tolist() == [[2, 4, 1, -1], [5, 0, 6, 3]]
    assert batch.mask.tolist() == [[True, True, True, False], [True, True, True, True]]
    # a: the last runner left is no choice; b: the non-finisher is an alternative only.
    assert batch.chosen.tolist() == [[True, True, False, False], [True, True, True, False]]
    assert batch.x[1, :, 0].tolist() == [5, 0, 6, 3]
    winners_only = pack_races(x, race_id, position, depth=1)
    assert winners_only.chosen.sum(axis=1).tolist() == [1, 1]
    with pytest.raises(ValueError, match="depth"):
        pack_races(x, race_id, position, depth=0)


def test_the_device_is_an_argument_of_one_fit(planted, monkeypatch) -> None:
    """CPU and CUDA run the same function: ``auto`` is CUDA only when JAX sees one,
    and on a machine without one it is the CPU fit, bit for bit."""
    x, race_id, position = planted
    batch = pack_races(x, race_id, position)
    on_cpu = fit_scores(batch, device="cpu")
    automatic = fit_scores(batch, device="auto")
    if cuda_devices():  # a GPU machine: the float64 fits agree to far below any figure
        assert automatic.device.startswith("cuda:")
        np.testing.assert_allclose(automatic.params["w"], on_cpu.params["w"], atol=1e-6)
        assert abs(automatic.loss - on_cpu.loss) < 1e-9
    else:
        assert automatic.device == "cpu"
        np.testing.assert_array_equal(automatic.params["w"], on_cpu.params["w"])
        with pytest.raises(RuntimeError, match="no CUDA device"):
            resolve_device("cuda")
    gpu = object()
    monkeypatch.setattr(race_model, "cuda_devices", lambda: [gpu])
    assert resolve_device("auto") is gpu and resolve_device("cuda") is gpu
    assert resolve_device("cpu") is not gpu
    with pytest.raises(ValueError, match="expected auto, cpu or cuda"):
        resolve_device("tpu")


def test_a_hidden_layer_is_seeded_and_predicts_without_jax(planted) -> None:
    x, race_id, position = planted
    batch = pack_races(x[:2000], race_id[:2000], position[:2000], depth=3)
    first = fit_scores(batch, hidden=4, l2=1e-2, max_iter=50, seed=1, device="cpu")
    again = fit_scores(batch, hidden=4, l2=1e-2, max_iter=50, seed=1, device="cpu")
    np.testing.assert_array_equal(first.params["U"], again.params["U"])
    probabilities = race_softmax(first.scores(x[:2000]), race_id[:2000])
    sums = pd.Series(probabilities).groupby(race_id[:2000]).sum()
    np.testing.assert_allclose(sums, 1.0)


def test_scores_do_not_extrapolate_beyond_the_training_range(planted) -> None:
    """A column standardised on a narrow training range can reach 100+ later; a
    linear score would then make one runner a certain winner."""
    from sklearn.preprocessing import StandardScaler

    x, race_id, position = planted
    ranker = RaceRanker(prepare=StandardScaler(), objective="conditional_logit", device="cpu")
    ranker.fit(x, race_id, position)
    edge = x.max(axis=0)
    far = edge + 100.0 * x.std(axis=0)
    np.testing.assert_allclose(ranker.race_scores(far[None, :]), ranker.race_scores(edge[None, :]))


@pytest.fixture(scope="module")
def split() -> tuple[pd.DataFrame, pd.DataFrame]:
    world = World(WorldConfig(seed=8, n_days=12, races_per_day=8, upcoming_days=0))
    tables = tables_from_pages(
        (rid, lambda rid=rid: world.result_page(rid)) for rid in world.run_race_ids()
    )
    return split_by_date(features_from_tables(tables.races, tables.entries), test_fraction=0.25)


TRAINING = {"calibration_fraction": 0.25, "random_state": 0}
RANKING = {"kind": "race_ranking", "objective": "plackett_luce", "depth": 3}


@pytest.mark.parametrize("objective", ["conditional_logit", "plackett_luce"])
def test_the_model_kind_predicts_races_and_names_its_device(split, objective) -> None:
    train, test = split
    spec = {**RANKING, "objective": objective, "with_market_odds": True, "device": "auto"}
    model = fit_race_model(train, spec, TRAINING)
    assert isinstance(model.estimator, RaceRanker) and model.estimator.objective == objective
    for market in (True, False):
        probabilities = model.race_probabilities(test, market=market)
        assert (probabilities > 0).all()
        np.testing.assert_allclose(probabilities.groupby(test["race_id"]).sum(), 1.0)
    card = model_card(model, train)
    assert card["kind"] == "race_ranking" and card["objective"] == objective
    assert card["device"] == ("cpu" if not cuda_devices() else card["device"])
    assert card["device"] == model.estimator.fitted.device and card["fit_converged"]


def test_use_gpu_decides_the_device_of_a_ranking_model(split, monkeypatch) -> None:
    train, _ = split
    chosen = {}
    monkeypatch.setattr(
        "forecast_keiba.models.fitting.fit_race_model", lambda t, spec, tr: chosen.update(spec)
    )
    train_win_model(train, RANKING, TRAINING, "auto", None)
    assert chosen["device"] == "auto"
    train_win_model(train, RANKING, TRAINING, "never", None)
    assert chosen["device"] == "cpu"


def test_unknown_settings_fail_by_name(split) -> None:
    train, _ = split
    with pytest.raises(ValueError, match="unknown parameter"):
        fit_race_model(train, {**RANKING, "learning_rate": 0.1}, TRAINING)
    with pytest.raises(ValueError, match="objective 'listwise' is unknown"):
        fit_race_model(train, {**RANKING, "objective": "listwise"}, TRAINING)
