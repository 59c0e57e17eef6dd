"""The per-race ranking model on CUDA and on the CPU: same loss, and how much faster.

Two steps, on two machines:

    uv run python bench/gpu_check.py --prepare     # here: bench/_out/gpu_check.npz
    bench/gpu_check.sh                             # there: fits on CUDA and CPU

``--prepare`` turns a finished training run's training set (the largest data
root found: replica2y, else the default world; ``--data-root`` to choose) into
the numbers the model fits — the one-hot/standardised feature matrix, race ids,
finishing positions — with the project's own preprocessing, and writes them
compressed (float32 features; a few MiB for replica2y's 52k runners). Without a
finished run it simulates Plackett–Luce races instead.

The check itself needs only numpy and JAX (the lent GPU machine has no Kedro,
sklearn pipeline or network): it loads ``forecast_keiba/models/race_model.py`` as a
file and fits each configuration twice per device (the first fit includes
compiling), CUDA first, then the CPU, and prints a table and one JSON line:
losses, seconds, the warm speedup (CPU seconds / CUDA seconds) and the largest
coefficient difference, which the float64 fit keeps below ``TOLERANCE``.
Where JAX sees no CUDA device the CUDA leg is reported as unavailable and the
check still runs (and passes) on the CPU. Sized to take a few minutes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MODULE = REPO / "kedro_project" / "src" / "forecast_keiba" / "models" / "race_model.py"
OUT = REPO / "bench" / "_out"
FEATURES_FILE = OUT / "gpu_check.npz"
DATA_ROOTS = ("kedro_project/data/replica2y", "kedro_project/data")
# float64 fits of a strictly convex loss: CPU and CUDA meet at the same optimum up
# to the optimiser's tolerance (differences in summation order only).
TOLERANCE = 1e-4
# (objective, depth, hidden units, max L-BFGS iterations): the configured model
# (parameters_training.yml), the winner-only conditional logit, and a hidden layer
# of 64 units (100 iterations: a timing, not a fit), the kind of fit where a GPU's
# matrix products start to count.
CONFIGURATIONS = (
    ("plackett_luce", 3, 0, 300),
    ("conditional_logit", 1, 0, 300),
    ("plackett_luce", 3, 64, 100),
)


def load_race_model() -> Any:
    """``race_model.py`` on its own: importing the ``forecast_keiba`` package would
    need its dependencies, which the GPU machine does not have."""
    spec = importlib.util.spec_from_file_location("race_model", MODULE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["race_model"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def prepare(data_root: Path | None, target: Path = FEATURES_FILE) -> Path:
    """Write the feature matrix of a training set (or simulated races) to ``target``."""
    roots = [data_root] if data_root else [REPO / root for root in DATA_ROOTS]
    train_file = next(
        (r / "05_model_input" / "train_set.parquet" for r in roots
         if (r / "05_model_input" / "train_set.parquet").is_file()),
        None,
    )  # fmt: skip
    if data_root and train_file is None:
        raise SystemExit(f"{data_root}: no 05_model_input/train_set.parquet (run kedro first)")
    if train_file is not None:
        import pandas as pd

        from forecast_keiba.models.fitting import FEATURES, _one_hot_preprocessor

        train = pd.read_parquet(train_file)
        x = np.asarray(_one_hot_preprocessor().fit_transform(train[FEATURES]), dtype=np.float32)
        race_id = pd.factorize(train["race_id"])[0]
        position = train["finish_position"].to_numpy(dtype=np.float64)
        source = str(
            train_file.relative_to(REPO) if train_file.is_relative_to(REPO) else train_file
        )
    else:
        x, race_id, position = simulated_races(4000)
        source = "simulated Plackett-Luce races"
    target.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        target, x=x.astype(np.float32), race_id=race_id, position=position, source=source
    )
    size = target.stat().st_size
    print(f"{target.relative_to(REPO)}: {x.shape[0]:,} runners x {x.shape[1]} features "
          f"from {source}, {size / 2**20:.1f} MiB")  # fmt: skip
    return target


def simulated_races(races: int, features: int = 40, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(6, 19, races)
    race_id = np.repeat(np.arange(races), sizes)
    x = rng.normal(size=(len(race_id), features)).astype(np.float32)
    beta = rng.normal(0.0, 0.3, features)
    performance = x @ beta + rng.gumbel(size=len(race_id))
    position = np.empty(len(race_id))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    for start, size in zip(starts, sizes, strict=True):
        position[start : start + size] = np.argsort(np.argsort(-performance[start : start + size]))
    return x, race_id, position + 1


def timed_fit(rm: Any, batch: Any, device: str, hidden: int, max_iter: int) -> dict[str, Any]:
    """Two fits on one device: the first compiles, the second is the warm figure."""
    runs = []
    for _ in range(2):
        start = time.perf_counter()
        fit = rm.fit_scores(batch, hidden=hidden, l2=1e-3, max_iter=max_iter, device=device)
        runs.append((time.perf_counter() - start, fit))
    (first_s, _), (warm_s, fit) = runs
    return {"device": fit.device, "loss": fit.loss, "iterations": fit.iterations,
            "converged": fit.converged, "first_s": round(first_s, 3),
            "warm_s": round(warm_s, 3), "w": fit.params["w"]}  # fmt: skip


def check(features_file: Path = FEATURES_FILE) -> dict[str, Any]:
    rm = load_race_model()
    import jax

    data = np.load(features_file)
    x, race_id, position = data["x"], data["race_id"], data["position"]
    cuda = rm.cuda_devices()
    result: dict[str, Any] = {
        "check": "race_model_gpu",
        "jax": jax.__version__,
        "features_file": str(data["source"]),
        "runners": int(x.shape[0]),
        "features": int(x.shape[1]),
        "cuda": rm.describe_device(cuda[0]) if cuda else "unavailable",
        "tolerance": TOLERANCE,
        "runs": [],
    }
    for objective, depth, hidden, max_iter in CONFIGURATIONS:
        batch = rm.pack_races(x, race_id, position, depth=depth)
        row: dict[str, Any] = {"objective": objective, "depth": depth, "hidden": hidden}
        legs = {"cuda": timed_fit(rm, batch, "cuda", hidden, max_iter)} if cuda else {}
        legs["cpu"] = timed_fit(rm, batch, "cpu", hidden, max_iter)
        for name, leg in legs.items():
            row[name] = {k: v for k, v in leg.items() if k != "w"}
        if "cuda" in legs:
            row["speedup"] = round(legs["cpu"]["warm_s"] / max(legs["cuda"]["warm_s"], 1e-9), 2)
            row["loss_diff"] = abs(legs["cpu"]["loss"] - legs["cuda"]["loss"])
            row["max_abs_diff_w"] = float(np.abs(legs["cpu"]["w"] - legs["cuda"]["w"]).max())
        else:
            row["cuda"] = "unavailable"
        result["runs"].append(row)
    convex = [r for r in result["runs"] if r["hidden"] == 0 and "max_abs_diff_w" in r]
    result["agree"] = all(r["max_abs_diff_w"] < TOLERANCE for r in convex) if convex else None
    return result


def format_check(result: dict[str, Any]) -> str:
    lines = [
        f"jax {result['jax']}; CUDA: {result['cuda']}; {result['runners']:,} runners x "
        f"{result['features']} features ({result['features_file']})",
        f"  {'objective':<18}{'hidden':>7}{'device':>8}{'loss':>14}{'iter':>6}"
        f"{'first s':>9}{'warm s':>9}",
    ]
    for row in result["runs"]:
        for name in ("cuda", "cpu"):
            leg = row[name]
            if leg == "unavailable":
                lines.append(f"  {row['objective']:<18}{row['hidden']:>7}{name:>8}  unavailable")
                continue
            lines.append(
                f"  {row['objective']:<18}{row['hidden']:>7}{name:>8}{leg['loss']:>14.8f}"
                f"{leg['iterations']:>6}{leg['first_s']:>9.2f}{leg['warm_s']:>9.2f}"
            )
        if "speedup" in row:
            lines.append(
                f"    speedup (warm) {row['speedup']:.2f}x, |loss diff| {row['loss_diff']:.2e}, "
                f"max |w diff| {row['max_abs_diff_w']:.2e}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepare", action="store_true", help="write the features file")
    parser.add_argument("--data-root", type=Path, help="a Kedro data root (with --prepare)")
    parser.add_argument("--features", type=Path, default=FEATURES_FILE)
    args = parser.parse_args(argv)
    if args.prepare:
        prepare(args.data_root, args.features)
        return 0
    if not args.features.is_file():
        print(f"{args.features}: missing; run `bench/gpu_check.py --prepare` first")
        return 2
    result = check(args.features)
    print(format_check(result))
    print(json.dumps(result, separators=(",", ":")))
    return 1 if result["agree"] is False else 0


if __name__ == "__main__":
    sys.exit(main())
