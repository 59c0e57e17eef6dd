"""The small pieces of text every page renderer writes the same way: escaped text,
Japanese dates, sex and status marks, race times, weights, the premium icon.

A module of its own so that each page's renderer imports it, instead of borrowing
another renderer's private helpers (which made the renderers import each other)."""

from __future__ import annotations

import datetime as dt
from html import escape

SEX_MARK = {"colt": "牡", "filly": "牝", "gelding": "セ"}
# What a result cell shows instead of a finishing position.
STATUS_CELL = {"pulled_up": "中", "scratched": "取", "excluded": "除", "disqualified": "失"}
DIRECTION_TEXT = {
    "right": "右",
    "left": "左",
    "straight": "直線",
    "right_outer": "右 外",
    "left_outer": "左 外",
    "right_inner": "右 内",
}
PREMIUM_ICON = "https://cdn.netkeiba.com/img.db//style/netkeiba.ja/image/ico_premium.gif"


def escaped(text: object) -> str:
    """``text`` as HTML text or attribute value."""
    return escape(str(text), quote=True)


def date_jp(d: dt.date | None, pad: bool = False) -> str:
    """``2023年1月7日`` (``2023年01月07日`` with ``pad``); empty without a date."""
    if d is None:
        return ""
    return f"{d.year}年{d.month:02d}月{d.day:02d}日" if pad else f"{d.year}年{d.month}月{d.day}日"


def race_time(t: float | None) -> str:
    """Seconds as netkeiba writes a race time: ``1:34.5``."""
    if t is None:
        return ""
    tenths = round(t * 10)
    return f"{tenths // 600}:{tenths % 600 // 10:02d}.{tenths % 10}"


def weight_text(w: float | None) -> str:
    """A carried weight without trailing zeros (``57``, ``55.5``)."""
    return "" if w is None else f"{w:g}"
