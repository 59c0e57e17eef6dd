"""Names for the synthetic world: horses, people, stallions, races.

Everything is drawn from a numpy ``Generator`` handed in by the caller, so a
world's names are fixed by its seed. Every character used here is in EUC-JP
(the charset the replica serves), which a test checks.
"""

from __future__ import annotations

import numpy as np

# Katakana syllables for horse names; "ー" and "ン" only after the first syllable.
_HEAD = [
    *"アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ",
    *"ガギグゲゴザジズゼゾダデドバビブベボパピプペポ",
    *(
        "シャ",
        "シュ",
        "ショ",
        "チャ",
        "チュ",
        "キャ",
        "ジュ",
        "ティ",
        "ディ",
        "ファ",
        "フィ",
        "ヴィ",
    ),
]
_TAIL = [*_HEAD, "ー", "ン", "ン", "ル", "ス", "ト", "ド", "ク", "ア", "イ"]

# fmt: off
_FAMILY = (
    "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤",
    "吉田", "山田", "佐々木", "山口", "松本", "井上", "木村", "林", "斎藤", "清水",
    "山崎", "森", "池田", "橋本", "阿部", "石川", "山下", "中島", "石井", "小川",
    "前田", "岡田", "長谷川", "藤田", "後藤", "近藤", "村上", "遠藤", "青木", "坂本",
    "斉藤", "福田", "太田", "西村", "藤井", "金子", "岡本", "藤原", "中野", "三浦",
    "原田", "中川", "松田", "竹内", "小野", "田村", "中山", "和田", "石田", "森田",
    "上田", "原", "柴田", "酒井", "工藤", "横山", "宮崎", "宮本", "内田", "高木",
    "安藤", "島田", "谷口", "大野", "丸山", "今井", "高田", "藤本", "武田", "村田",
    "上野", "杉山", "増田", "小山", "大塚", "平野", "菅原", "久保", "松井", "千葉",
    "岩崎", "桜井", "木下", "野口", "松尾", "菊地", "野村", "新井", "浜中", "戸崎",
    "北村", "丹内", "団野", "武藤", "秋山", "飯田", "岩戸",
)
# fmt: on
# fmt: off
_GIVEN = (
    "大成", "武史", "圭太", "康誠", "信二", "祐介", "謙一", "弘人", "哲也", "貴久",
    "和雄", "登", "芳人", "秀一", "栄治", "瑞樹", "清", "雄二", "一", "翔",
    "健", "誠", "浩", "豊", "勇", "修", "学", "隆", "大輔", "拓也",
    "直樹", "剛", "亮", "優", "翼", "蓮", "陸", "悠人", "晴", "光",
    "司", "茂", "聡", "裕二", "幸", "正", "努", "勝", "功", "稔",
    "進", "明", "実", "博", "宏", "智", "淳", "達也", "和也", "雅人",
    "友", "洋", "恵", "文", "徹",
)
# fmt: on
_FOREIGN = ["ルメール", "デムーロ", "ムーア", "レーン", "ビュイック", "マーフィー"]

# Words for race and stallion names.
# fmt: off
_PLACE = (
    "利尻", "大倉山", "しらかば", "立待岬", "津軽海峡", "奥尻", "駒ヶ岳", "阿寒湖",
    "湯浜", "横津岳", "松前", "木古内", "猪苗代", "喜多方", "河北", "信夫山",
    "安達太良", "飯坂温泉", "妙高", "弥彦", "越後", "魚沼", "佐渡", "月岡温泉",
    "府中", "秩父", "多摩川", "西湖", "精進湖", "晩秋", "初霞", "若潮",
    "袖ヶ浦", "鹿島", "館山", "市川", "習志野", "知立", "犬山", "岡崎",
    "豊明", "長篠", "鳴海", "御在所", "鈴鹿", "嵐山", "比叡", "鴨川",
    "大原", "桂川", "宇治川", "御堂筋", "武庫川", "須磨", "六甲", "元町",
    "甲東", "夙川", "西宮", "小倉日経", "門司", "皿倉山", "玄海", "英彦山",
)
# fmt: on
# fmt: off
_STAKES_WORD = (
    "シンザン", "京成杯", "フェアリー", "中山金杯", "京都金杯", "日経新春杯", "愛知杯",
    "東海", "根岸", "シルクロード", "きさらぎ賞", "共同通信杯", "クイーン", "京都記念",
    "ダイヤモンド", "小倉大賞典", "阪急杯", "中山記念", "弥生賞", "チューリップ賞", "オーシャン",
    "金鯱賞", "フィリーズレビュー", "中日新聞杯", "ターコイズ", "カペラ",
)
# fmt: on
_GRADES = ("(G1)", "(G2)", "(G3)", "(G3)", "(G3)", "(L)", "(L)")


def katakana_names(rng: np.random.Generator, n: int, taken: set[str] | None = None) -> list[str]:
    """``n`` distinct katakana horse names of 2-9 characters (the JRA limit is 9).

    Names already in ``taken`` are avoided and the new ones are added to it, so
    newcomers drawn later in a world never reuse a name.
    """
    taken = set() if taken is None else taken
    lengths = rng.integers(2, 6, size=n)
    heads = rng.integers(0, len(_HEAD), size=n)
    tails = rng.integers(0, len(_TAIL), size=(n, 5))
    out: list[str] = []
    for i in range(n):
        name = _HEAD[heads[i]] + "".join(_TAIL[t] for t in tails[i, : lengths[i] - 1])
        name = name[:9]
        k = 0
        while name in taken or len(name) < 2:
            name = (name[:8] + _TAIL[(int(tails[i, 0]) + k) % len(_TAIL)])[:9]
            k += 1
            if k > len(_TAIL):
                name = name[:4] + _HEAD[(k * 7 + i) % len(_HEAD)]
        taken.add(name)
        out.append(name)
    return out


def person_names(rng: np.random.Generator, n: int, foreign_share: float = 0.0) -> list[str]:
    """``n`` distinct Japanese names as netkeiba prints them (family + given, no space)."""
    out: list[str] = []
    seen: set[str] = set()
    foreign = list(_FOREIGN)
    while len(out) < n:
        if foreign and rng.random() < foreign_share:
            name = foreign.pop(0)
        else:
            name = _FAMILY[rng.integers(len(_FAMILY))] + _GIVEN[rng.integers(len(_GIVEN))]
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def short_names(full: list[str]) -> list[str]:
    """Race-card short forms: the family name, plus the given name's first
    character where two people share a family name (``飯田`` vs ``飯田雄``)."""
    fam = [_split_family(x) for x in full]
    counts: dict[str, int] = {}
    for f in fam:
        counts[f] = counts.get(f, 0) + 1
    out = []
    for name, f in zip(full, fam, strict=True):
        if f == name or counts[f] == 1:
            out.append(f)
        else:
            out.append(name[: len(f) + 1])
    return out


def _split_family(name: str) -> str:
    for f in sorted(_FAMILY, key=len, reverse=True):
        if name.startswith(f) and len(name) > len(f):
            return f
    return name


def special_race_names(rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """(conditions-race names like ``利尻特別``, stakes names like ``京成杯(G3)``)."""
    specials = [p + s for p in _PLACE for s in ("特別",)]
    specials += [p + "ステークス" for p in _PLACE[::3]]
    stakes = []
    for i, w in enumerate(_STAKES_WORD):
        grade = _GRADES[i % len(_GRADES)]
        base = w if w.endswith(("杯", "賞", "典")) else w + "ステークス"
        stakes.append(base + grade)
    stakes += [p + "ステークス" for p in _PLACE[1::4]]
    order = rng.permutation(len(specials))
    return [specials[i] for i in order], stakes
