"""Node functions. Failures are injected through environment variables so
that parameters (and so cache keys) stay the same between attempts."""

import json
import logging
import os
import sys
import time
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)


def make_raw(n: int) -> pd.DataFrame:
    log.info("toy: making %d rows", n)
    log.info("toy: half way", extra={"progress": (n // 2, n)})  # a long node reporting progress
    if Path(FAIL_RAW).exists():
        raise RuntimeError("toy: make_raw failed half way on purpose")
    log.info("toy: made", extra={"summary": {"title": "rows", "made": n}})  # its figures
    return pd.DataFrame({"x": range(n), "group": [i % 3 for i in range(n)]})


FAIL_RAW = "FAIL_RAW"  # a file in the project folder that makes ``make_raw`` fail half way
FAIL_CLEAN = "FAIL_CLEAN"  # a file in the project folder (the working directory of every
# process that runs a node, Ray workers included) that makes ``clean`` fail


def clean(raw: pd.DataFrame) -> pd.DataFrame:
    if Path(FAIL_CLEAN).exists():
        raise RuntimeError("toy: clean failed on purpose")
    return raw[raw["x"] % 5 != 4].reset_index(drop=True)


def double(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(y=frame["x"] * 2)


def total(doubled: pd.DataFrame, scale: float) -> dict:
    return {"total": float(doubled["y"].sum() * scale), "rows": len(doubled)}


def report(frame: pd.DataFrame, title: str) -> dict:
    return {"title": title, "groups": frame.groupby("group")["x"].sum().to_dict()}


def publish(raw: pd.DataFrame) -> dict:
    return {"rows": len(raw), "sum": int(raw["x"].sum())}


def announce(published: dict) -> dict:
    return {"announced": f"{published['rows']} rows, sum {published['sum']}"}


def flaky(frame: pd.DataFrame) -> dict:
    """Fails while the counter file $TOY_FLAKY holds a number below 2."""
    counter = os.environ.get("TOY_FLAKY")
    if counter:
        path = Path(counter)
        attempts = int(path.read_text()) if path.exists() else 0
        path.write_text(str(attempts + 1))
        if attempts < 2:
            raise RuntimeError(f"toy: flaky attempt {attempts + 1} failed")
    return {"rows": len(frame), "attempts": json.loads(Path(counter).read_text()) if counter else 1}


# Nodes of the "infra" pipeline: each appends what it ran on (process, flow run,
# GPU ids Ray gave it, CUDA_VISIBLE_DEVICES) and when, to the JSON-lines file
# named by params:timeline, so tests can see where and when every node ran.
def _record(timeline: str, node: str, started: float) -> None:
    if not timeline:
        return
    ray = sys.modules.get("ray")
    entry = {
        "node": node,
        "start": started,
        "end": time.time(),
        "pid": os.getpid(),
        "flow_run": os.environ.get("PREFECT__FLOW_RUN_ID"),
        "gpu_ids": [str(g) for g in ray.get_gpu_ids()] if ray and ray.is_initialized() else [],
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
    }
    with Path(timeline).open("a") as handle:
        handle.write(json.dumps(entry) + "\n")


def prepare(raw: pd.DataFrame, timeline: str) -> pd.DataFrame:
    started = time.time()
    prepared = raw.assign(x2=raw["x"] ** 2)
    _record(timeline, "prepare", started)
    return prepared


def _fit(prepared: pd.DataFrame, seconds: float, timeline: str, name: str) -> dict:
    """A stand-in for model training: holds its (GPU) slot for ``seconds``."""
    started = time.time()
    time.sleep(seconds)
    _record(timeline, name, started)
    return {"model": name, "mean": float(prepared["x2"].mean())}


def fit_a(prepared: pd.DataFrame, seconds: float, timeline: str) -> dict:
    return _fit(prepared, seconds, timeline, "fit_a")


def fit_b(prepared: pd.DataFrame, seconds: float, timeline: str) -> dict:
    return _fit(prepared, seconds, timeline, "fit_b")


def score(model_a: dict, model_b: dict, timeline: str) -> dict:
    started = time.time()
    result = {"models": [model_a["model"], model_b["model"]]}
    result["sum"] = model_a["mean"] + model_b["mean"]
    _record(timeline, "score", started)
    return result
