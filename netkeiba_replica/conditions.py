"""Race conditions: each venue's courses, the class ladder and its labels,
weather and going.

Codes index the tuples below; the model's English codes and netkeiba's labels
are looked up from them only when a page is built.
"""

from __future__ import annotations

import functools

import numpy as np

SURFACES = ("turf", "dirt", "jump_turf")
DIRECTIONS = ("right", "left", "straight", "right_outer", "left_outer", "right_inner")
WEATHERS = ("sunny", "cloudy", "rainy", "light_rain", "snowy", "light_snow")
GOINGS = ("good", "slightly_heavy", "heavy", "bad")

# Courses per venue: (surface, direction, distance). Real JRA layouts, abridged.
_R, _L, _S, _RO, _LO = 0, 1, 2, 3, 4
_T, _D = 0, 1
COURSES: dict[str, list[tuple[int, int, int]]] = {
    "01": [(_T, _R, d) for d in (1200, 1500, 1800, 2000, 2600)]
    + [(_D, _R, d) for d in (1000, 1700, 2400)],
    "02": [(_T, _R, d) for d in (1200, 1800, 2000, 2600)]
    + [(_D, _R, d) for d in (1000, 1700, 2400)],
    "03": [(_T, _R, d) for d in (1200, 1800, 2000, 2600)]
    + [(_D, _R, d) for d in (1150, 1700, 2400)],
    "04": [(_T, _S, 1000)]
    + [(_T, _L, d) for d in (1200, 1400, 2000)]
    + [(_T, _LO, d) for d in (1600, 1800, 2000)]
    + [(_D, _L, d) for d in (1200, 1800, 2500)],
    "05": [(_T, _L, d) for d in (1400, 1600, 1800, 2000, 2300, 2400, 3400)]
    + [(_D, _L, d) for d in (1300, 1400, 1600, 2100)],
    "06": [(_T, _R, d) for d in (1800, 2000, 2500, 3600)]
    + [(_T, _RO, d) for d in (1200, 1600, 2200)]
    + [(_D, _R, d) for d in (1200, 1800, 2400, 2500)],
    "07": [(_T, _L, d) for d in (1200, 1400, 1600, 2000, 2200)]
    + [(_D, _L, d) for d in (1200, 1400, 1800, 1900)],
    "08": [(_T, _R, d) for d in (1200, 1400, 2000)]
    + [(_T, _RO, d) for d in (1600, 1800, 2200, 2400, 3000, 3200)]
    + [(_D, _R, d) for d in (1200, 1400, 1800, 1900)],
    "09": [(_T, _R, d) for d in (1200, 1400, 2000, 2200, 3000)]
    + [(_T, _RO, d) for d in (1600, 1800, 2400, 2600)]
    + [(_D, _R, d) for d in (1200, 1400, 1800, 2000)],
    "10": [(_T, _R, d) for d in (1200, 1700, 1800, 2000, 2600)]
    + [(_D, _R, d) for d in (1000, 1700, 2400)],
}
JUMP_DISTANCES = (
    2750,
    2860,
    2880,
    2890,
    3000,
    3110,
    3170,
    3200,
    3300,
    3330,
    3380,
    3570,
    3900,
    4100,
    4250,
)

# Class ladder. A horse's level is set by its wins: 0 wins -> maiden (1), then 2..5.
DEBUT, MAIDEN, ONE_WIN, TWO_WINS, THREE_WINS, OPEN = range(6)
AGE_GROUPS = ("2歳", "3歳", "3歳以上", "4歳以上")
A2, A3, A3UP, A4UP = range(4)
_LEVEL_LABEL = ("新馬", "未勝利", "1勝クラス", "2勝クラス", "3勝クラス", "オープン")


def class_label(age_group: int, level: int, jump: bool) -> str:
    """netkeiba's class text, e.g. ``3歳以上1勝クラス`` or ``障害4歳以上未勝利``."""
    label = _LEVEL_LABEL[level]
    return ("障害" if jump else "") + AGE_GROUPS[age_group] + label


def conditions_text(level: int, fillies: bool, handicap: bool, special: bool) -> str:
    """The bracketed conditions after the class in ``p.smalltxt``."""
    if fillies:
        head = "牝"
    elif level == OPEN:
        head = "(国際)"
    else:
        head = "(混)"
    mark = "(特指)" if special or level >= THREE_WINS else "[指]"
    if handicap:
        rule = "(ハンデ)"
    elif level == OPEN:
        rule = "(別定)"
    elif level <= MAIDEN:
        rule = "(馬齢)"
    else:
        rule = "(定量)"
    return f"{head}{mark}{rule}"


def pick_course(rng: np.random.Generator, venue: str) -> tuple[int, int, int]:
    """A (surface, direction, distance) of ``venue``: turf and dirt equally likely,
    shorter trips commoner within each."""
    courses, p = _course_weights(venue)
    return courses[int(rng.choice(len(courses), p=p))]


@functools.cache
def _course_weights(venue: str) -> tuple[list[tuple[int, int, int]], np.ndarray]:
    courses = COURSES[venue]
    w = np.array([1.0 / (1.0 + max(0, d - 1400) / 900) for _, _, d in courses])
    surf = np.array([s for s, _, _ in courses])
    w = w / np.where(surf == _T, w[surf == _T].sum(), w[surf == _D].sum())
    return courses, w / w.sum()


def pick_weather(rng: np.random.Generator, month: int) -> int:
    winter = month in (12, 1, 2)
    p = np.array([0.48, 0.3, 0.09, 0.09, 0.02 if winter else 0.0, 0.02 if winter else 0.0])
    return int(rng.choice(len(WEATHERS), p=p / p.sum()))


_GOING_BY_WEATHER = {
    # good, slightly heavy, heavy, bad  (turf; dirt gets wetter faster)
    0: (0.86, 0.11, 0.03, 0.0),
    1: (0.72, 0.2, 0.06, 0.02),
    2: (0.12, 0.3, 0.33, 0.25),
    3: (0.35, 0.4, 0.19, 0.06),
    4: (0.3, 0.4, 0.2, 0.1),
    5: (0.5, 0.35, 0.1, 0.05),
}


def pick_going(rng: np.random.Generator, weather: int, dirt: bool) -> int:
    p = np.array(_GOING_BY_WEATHER[weather])
    if dirt:
        p = np.array([p[0] * 0.8, p[1] + p[0] * 0.1, p[2] + p[0] * 0.07, p[3] + p[0] * 0.03])
    return int(rng.choice(4, p=p / p.sum()))


def winner_speed(surface: int, distance: int, going: int, level: int, young: bool) -> float:
    """Metres per second of a typical winner: slower with distance; wet turf is
    slower, wet dirt faster (as in real JRA times)."""
    if surface == 2:
        v = 14.2 - 0.5 * np.log2(distance / 3000)
    elif surface == 0:
        v = 17.5 - 0.8 * np.log2(distance / 1200)
        v *= (1.0, 0.993, 0.985, 0.975)[going]
    else:
        v = 16.6 - 0.8 * np.log2(distance / 1200)
        v *= (1.0, 1.005, 1.01, 1.012)[going]
    return float(v * (1 + 0.004 * max(0, level - 1)) * (0.99 if young else 1.0))
