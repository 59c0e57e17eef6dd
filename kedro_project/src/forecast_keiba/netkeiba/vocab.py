"""netkeiba's Japanese labels and the English codes of :mod:`.model`.

One table per field, used in both directions: the parser reads labels into
codes, the replica writes codes back as labels.
"""

from __future__ import annotations

SURFACE = {"芝": "turf", "ダ": "dirt", "障芝": "jump_turf", "障ダ": "jump_dirt",
           "障芝ダ": "jump_turf_dirt"}  # fmt: skip
DIRECTION = {"右": "right", "左": "left", "直線": "straight", "右外": "right_outer",
             "左外": "left_outer", "右内": "right_inner"}  # fmt: skip
WEATHER = {"晴": "sunny", "曇": "cloudy", "雨": "rainy", "小雨": "light_rain", "雪": "snowy",
           "小雪": "light_snow"}  # fmt: skip
GOING = {"良": "good", "稍重": "slightly_heavy", "稍": "slightly_heavy", "重": "heavy",
         "不良": "bad", "不": "bad"}  # fmt: skip
SEX = {"牡": "colt", "牝": "filly", "セ": "gelding"}
# Finish-position cell values that are not a number.
FINISH_STATUS = {"中": "pulled_up", "取": "scratched", "除": "excluded", "失": "disqualified"}
BET_TYPE = {"単勝": "win", "複勝": "place", "枠連": "bracket_quinella", "馬連": "quinella",
            "ワイド": "quinella_place", "馬単": "exacta", "枠単": "bracket_exacta",
            "三連複": "trio", "3連複": "trio", "三連単": "trifecta",
            "3連単": "trifecta"}  # fmt: skip


def label(table: dict[str, str], code: str) -> str:
    """The first (canonical) label of ``code`` in ``table``."""
    for key, value in table.items():
        if value == code:
            return key
    raise KeyError(f"no label for {code!r}")
