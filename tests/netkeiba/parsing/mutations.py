"""Deterministic page mutations and the oracle that judges the parser's answer to them.

Not a test module: ``test_parse_fuzz.py`` drives it. A :class:`Mutation` turns
the bytes of a page into damaged bytes and says how much the parse of the
damaged page may differ from the parse of the original (:class:`Allowance`):

* ``EXACT``: the damage either does not touch what the parser reads (the
  result must equal the original parse) or it does (the parser must raise);
  truncation, re-encoding, duplicated rows and removed header rows are judged
  this way.
* ``SHUFFLED``: rows changed order; the result must hold the same rows.
* ``LOST``: something the page said is gone (a table, a class, an attribute):
  fields may become empty (None or ""), lists other than a race's runners may
  lose items, nothing may change into another value.
* ``REWRITTEN``: a cell's text was replaced or bytes were inserted: like
  ``LOST``, and free-text fields (names, the margin) may read differently,
  since the page now prints something else there. Identity fields (ids,
  numbers, dates, positions, amounts) may only become empty.

A race's runners never shrink or grow silently under any allowance: a
damaged results table is either read whole or refused.

Mutations work on the decoded text with plain string surgery (no DOM
library, so nothing "repairs" the damage before the parser sees it) and
encode the result back into the page's own charset.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from html import escape
from typing import Any

from forecast_keiba.netkeiba.decode import declared_charset


class Allowance(Enum):
    EXACT = "exact"
    SHUFFLED = "shuffled"
    LOST = "lost"
    REWRITTEN = "rewritten"


@dataclass(frozen=True)
class Mutated:
    """One damaged page: what was done, and how far its parse may stray."""

    name: str
    content: bytes
    allowance: Allowance


Mutator = Callable[[bytes, random.Random], Mutated | None]

_META = re.compile(r"""(<meta[^>]+charset\s*=\s*["']?\s*)([A-Za-z0-9_\-]+)""", re.I)
_TABLE_OPEN = re.compile(r"<table\b", re.I)
_TABLE_TAG = re.compile(r"<(/?)table\b[^>]*>", re.I)
_ROW = re.compile(r"<tr\b[^>]*>.*?</tr>", re.I | re.S)
_CELL = re.compile(r"(<td\b[^>]*>)(.*?)(</td>)", re.I | re.S)
_CLASS_OR_ID = re.compile(r"""\b(class|id|summary)\s*=\s*(["'])([^"']*)\2""", re.I)

# Cell garbage: none of it reads as a number, a date or a status, so a parser
# that accepts it must be keeping it as text. (Digits split by whitespace,
# "5 4", are not garbage: the cell parsers read them as 54 on purpose, see
# test_parse_cells.)
GARBAGE = ("", "abc", "？？", "1.2.3", "x:y", "--x", "<b>太字</b>", "９９９ｋｇ", "n/a",
           "\u3000", "12:34:56", "\\", "&amp;", "ＯＫ", "(降)", "1-2-3-4")  # fmt: skip
# Bytes for junk: nothing ASCII-alphanumeric (junk must not spell a plausible
# digit or tag name), control bytes, markup punctuation, high bytes.
_JUNK = bytes([*range(0, 9), *range(14, 32), 0x3C, 0x3E, 0x26, 0x22, 0x27, *range(0x80, 0x100)])


def charset_of(content: bytes) -> str:
    """The charset the page's bytes are really in (declared, else UTF-8, else EUC-JP)."""
    declared = declared_charset(content)
    for charset in (declared, "utf-8", "euc_jp"):
        if charset is None:
            continue
        try:
            content.decode(charset)
        except UnicodeDecodeError:
            continue
        return charset
    raise ValueError("corpus page in no known charset")


def _text_mutation(
    name: str, allowance: Allowance, edit: Callable[[str, random.Random], str | None]
) -> Mutator:
    """A mutator that edits the decoded text and re-encodes it in the page's charset."""

    def mutate(content: bytes, rng: random.Random) -> Mutated | None:
        charset = charset_of(content)
        text = content.decode(charset)
        edited = edit(text, rng)
        if edited is None or edited == text:
            return None
        return Mutated(name, edited.encode(charset, "xmlcharrefreplace"), allowance)

    return mutate


# ---------------------------------------------------------------- byte-level


def truncate(content: bytes, rng: random.Random) -> Mutated:
    """Cut the page at a random byte (possibly inside a multi-byte character)."""
    at = rng.randrange(0, len(content))
    return Mutated(f"truncate@{at}", content[:at], Allowance.EXACT)


def truncate_between_rows(content: bytes, rng: random.Random) -> Mutated | None:
    """Cut the page right after a ``</tr>``: the cleanest cut a dropped connection makes."""
    ends = [m.end() for m in re.finditer(rb"</tr>", content, re.I)]
    if not ends:
        return None
    at = rng.choice(ends)
    return Mutated(f"truncate-after-row@{at}", content[:at], Allowance.EXACT)


def junk(content: bytes, rng: random.Random) -> Mutated:
    """Insert 1-24 bytes of binary junk at a random offset."""
    at = rng.randrange(0, len(content) + 1)
    blob = bytes(rng.choice(_JUNK) for _ in range(rng.randint(1, 24)))
    return Mutated(f"junk@{at}", content[:at] + blob + content[at:], Allowance.REWRITTEN)


# ---------------------------------------------------------------- encodings


def _relabel(text: str, charset: str) -> str:
    """The page with its ``<meta charset>`` (or its absence) saying ``charset``."""
    if _META.search(text):
        return _META.sub(lambda m: m.group(1) + charset, text, count=1)
    return f'<meta charset="{charset}">' + text


def _encoding_mutation(name: str, encoding: str, label: str | None) -> Mutator:
    """Re-encode the page as ``encoding`` and label it ``label`` (None: keep the label)."""

    def mutate(content: bytes, rng: random.Random) -> Mutated | None:
        charset = charset_of(content)
        text = content.decode(charset)
        if label is not None:
            text = _relabel(text, label)
        return Mutated(name, text.encode(encoding, "xmlcharrefreplace"), Allowance.EXACT)

    return mutate


ENCODINGS: tuple[Mutator, ...] = (
    _encoding_mutation("euc-jp-labelled-utf-8", "euc_jp", "UTF-8"),
    _encoding_mutation("utf-8-labelled-euc-jp", "utf-8", "EUC-JP"),
    _encoding_mutation("utf-8-unlabelled-euc-jp", "utf-8", None),
    _encoding_mutation("shift_jis-labelled", "shift_jis", "Shift_JIS"),
    _encoding_mutation("shift_jis-labelled-euc-jp", "shift_jis", "EUC-JP"),
    _encoding_mutation("shift_jis-labelled-utf-8", "shift_jis", "UTF-8"),
    _encoding_mutation("euc-jp-labelled-shift_jis", "euc_jp", "Shift_JIS"),
)


# ---------------------------------------------------------------- structure


def _tables(text: str) -> list[tuple[int, int]]:
    """(start, end) of every ``<table>`` element, nested ones included, matched by depth."""
    spans: list[tuple[int, int]] = []
    stack: list[int] = []
    for match in _TABLE_TAG.finditer(text):
        if match.group(1):
            if stack:
                spans.append((stack.pop(), match.end()))
        else:
            stack.append(match.start())
    return spans


def _rows(text: str, span: tuple[int, int]) -> list[re.Match[str]]:
    """The ``<tr>`` elements inside a table span (non-greedy: nested rows split it)."""
    return list(_ROW.finditer(text, span[0], span[1]))


def _pick_table_rows(text: str, rng: random.Random, data_only: bool) -> list[re.Match[str]]:
    tables = [t for t in _tables(text) if not _is_positional(text, t)]
    rng.shuffle(tables)
    for span in tables:
        rows = _rows(text, span)
        if data_only:
            rows = [row for row in rows if "<td" in row.group(0).lower()]
        if len(rows) >= 2:
            return rows
    return []


def _is_positional(text: str, span: tuple[int, int]) -> bool:
    """Tables whose row order is their meaning (the pedigree's rowspan layout):
    moving their rows describes another, equally valid, pedigree."""
    return "blood_table" in text[span[0] : text.find(">", span[0])]


def _remove_table(text: str, rng: random.Random) -> str | None:
    tables = _tables(text)
    if not tables:
        return None
    start, end = rng.choice(tables)
    return text[:start] + text[end:]


def _rename_attribute(text: str, rng: random.Random) -> str | None:
    """Rename one class/id/summary token, or drop the attribute's value."""
    found = list(_CLASS_OR_ID.finditer(text))
    if not found:
        return None
    match = rng.choice(found)
    tokens = match.group(3).split()
    if tokens and rng.random() < 0.7:
        index = rng.randrange(len(tokens))
        tokens[index] = tokens[index] + "_v2"
        value = " ".join(tokens)
    else:
        value = ""
    quote = match.group(2)
    replacement = f"{match.group(1)}={quote}{value}{quote}"
    return text[: match.start()] + replacement + text[match.end() :]


def _garbage_cell(text: str, rng: random.Random) -> str | None:
    cells = list(_CELL.finditer(text))
    if not cells:
        return None
    match = rng.choice(cells)
    garbage = rng.choice(GARBAGE)
    inner = garbage if garbage.startswith(("<", "&")) else escape(garbage)
    return text[: match.start(2)] + inner + text[match.end(2) :]


def _shuffle_rows(text: str, rng: random.Random) -> str | None:
    rows = _pick_table_rows(text, rng, data_only=True)
    if not rows:
        return None
    bodies = [row.group(0) for row in rows]
    shuffled = bodies[:]
    rng.shuffle(shuffled)
    out, last = [], 0
    for row, body in zip(rows, shuffled, strict=True):
        out += [text[last : row.start()], body]
        last = row.end()
    return "".join(out) + text[last:]


def _duplicate_row(text: str, rng: random.Random) -> str | None:
    rows = _pick_table_rows(text, rng, data_only=True)
    if not rows:
        return None
    source, target = rng.choice(rows), rng.choice(rows)
    return text[: target.end()] + source.group(0) + text[target.end() :]


def _remove_header(text: str, rng: random.Random) -> str | None:
    headers = [
        row
        for span in _tables(text)
        for row in _rows(text, span)[:2]
        if "<th" in row.group(0).lower() and "<td" not in row.group(0).lower()
    ]
    if not headers:
        return None
    row = rng.choice(headers)
    return text[: row.start()] + text[row.end() :]


STRUCTURE: tuple[Mutator, ...] = (
    _text_mutation("remove-table", Allowance.LOST, _remove_table),
    _text_mutation("rename-class-id", Allowance.LOST, _rename_attribute),
    _text_mutation("garbage-cell", Allowance.REWRITTEN, _garbage_cell),
    _text_mutation("shuffle-rows", Allowance.SHUFFLED, _shuffle_rows),
    _text_mutation("duplicate-row", Allowance.SHUFFLED, _duplicate_row),
    _text_mutation("remove-header", Allowance.EXACT, _remove_header),
)

MUTATORS: tuple[Mutator, ...] = (truncate, truncate_between_rows, junk, *ENCODINGS, *STRUCTURE)


def mutations(content: bytes, seed: int, count: int) -> Iterator[Mutated]:
    """``count`` mutations of one page, deterministic for ``seed``.

    Every encoding variant once, then mutators drawn at random (truncation and
    cell-level damage twice as often: they are what real scrapes suffer).
    """
    rng = random.Random(seed)
    weights = [2 if m in (truncate, truncate_between_rows, junk) else 1 for m in MUTATORS]
    made = 0
    for mutator in ENCODINGS:
        if made >= count:
            return
        mutated = mutator(content, rng)
        if mutated is not None:
            made += 1
            yield mutated
    attempts = 0
    while made < count and attempts < count * 20:
        attempts += 1
        mutator = rng.choices(MUTATORS, weights)[0]
        mutated = mutator(content, rng)
        if mutated is not None and mutated.content != content:
            made += 1
            yield mutated


# ---------------------------------------------------------------- oracle

# Free text as printed: a rewritten cell may legitimately read differently.
TEXT_FIELDS = frozenset({"name", "horse_name", "jockey_name", "trainer_name", "margin",
                         "race_name", "venue"})  # fmt: skip
# Lists that may lose items when a table or class is gone: what the page still
# says. A race's runners (``entries``) are not among them, ever.
SHRINKABLE = frozenset({"payouts", "race_ids", "past_race_ids", "rows", "ancestors"})


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _canonical(value: Any) -> Any:
    """A hashable, order-free form of a JSON value (for multiset comparisons)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(sorted((_canonical(v) for v in value), key=repr))
    return value


def judge(original: dict[str, Any], damaged: dict[str, Any], allowance: Allowance) -> str | None:
    """Why ``damaged`` (a parse of the mutated page) is not acceptable; None if it is."""
    if allowance is Allowance.EXACT:
        return None if damaged == original else _first_difference(original, damaged, "")
    if allowance is Allowance.SHUFFLED:
        if _canonical(damaged) == _canonical(original):
            return None
        return "shuffled rows did not parse to the same rows"
    return _lenient(original, damaged, "", allowance)


def _lenient(original: Any, damaged: Any, path: str, allowance: Allowance) -> str | None:
    if isinstance(original, dict) and isinstance(damaged, dict):
        if original.keys() != damaged.keys():
            return f"{path}: keys changed"
        for key in original:
            if key in ("source", "kind"):
                if original[key] != damaged[key]:
                    return f"{path}.{key}: {damaged[key]!r} != {original[key]!r}"
                continue
            problem = _lenient_field(key, original[key], damaged[key], f"{path}.{key}", allowance)
            if problem:
                return problem
        return None
    return None if original == damaged else f"{path}: {damaged!r} != {original!r}"


def _lenient_field(
    key: str, original: Any, damaged: Any, path: str, allowance: Allowance
) -> str | None:
    if original == damaged:
        return None
    if isinstance(original, list) and isinstance(damaged, list):
        if len(damaged) == len(original):
            for index, (a, b) in enumerate(zip(original, damaged, strict=True)):
                problem = _lenient(a, b, f"{path}[{index}]", allowance)
                if problem:
                    return problem
            return None
        if key in SHRINKABLE and _sub_multiset(damaged, original):
            return None
        return f"{path}: {len(damaged)} items where the page had {len(original)}"
    if isinstance(original, dict):
        return _lenient(original, damaged, path, allowance)
    if _empty(damaged):
        return None
    if allowance is Allowance.REWRITTEN and key in TEXT_FIELDS and isinstance(damaged, str):
        return None
    return f"{path}: {damaged!r} where the page said {original!r}"


def _sub_multiset(smaller: list[Any], larger: list[Any]) -> bool:
    need = Counter(_canonical(item) for item in smaller)
    have = Counter(_canonical(item) for item in larger)
    return all(have[item] >= count for item, count in need.items())


def _first_difference(original: Any, damaged: Any, path: str) -> str:
    if isinstance(original, dict) and isinstance(damaged, dict):
        for key in original.keys() | damaged.keys():
            if original.get(key) != damaged.get(key):
                return _first_difference(original.get(key), damaged.get(key), f"{path}.{key}")
    if isinstance(original, list) and isinstance(damaged, list):
        if len(original) != len(damaged):
            return f"{path}: {len(damaged)} items where the page had {len(original)}"
        for index, (a, b) in enumerate(zip(original, damaged, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{path}[{index}]")
    return f"{path}: {damaged!r} != {original!r}"
