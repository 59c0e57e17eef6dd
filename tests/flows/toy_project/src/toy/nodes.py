"""Node functions. Failures are injected through environment variables so
that parameters (and so cache keys) stay the same between attempts."""

import json
import logging
import os
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)


def make_raw(n: int) -> pd.DataFrame:
    log.info("toy: making %d rows", n)
    log.info("toy: half way", extra={"progress": (n // 2, n)})  # a long node reporting progress
    return pd.DataFrame({"x": range(n), "group": [i % 3 for i in range(n)]})


def clean(raw: pd.DataFrame) -> pd.DataFrame:
    if Path(os.environ.get("TOY_FAIL_CLEAN", "/nonexistent")).exists():
        raise RuntimeError("toy: clean failed on purpose")
    return raw[raw["x"] % 5 != 4].reset_index(drop=True)


def double(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(y=frame["x"] * 2)


def total(doubled: pd.DataFrame, scale: float) -> dict:
    return {"total": float(doubled["y"].sum() * scale), "rows": len(doubled)}


def report(frame: pd.DataFrame, title: str) -> dict:
    return {"title": title, "groups": frame.groupby("group")["x"].sum().to_dict()}


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
