"""Mutation fuzzing of the parser: every damaged page parses correctly or raises ParseError.

Over a thousand mutated pages (seeded, so every run checks the same ones):
truncated at random bytes and between rows, re-encoded and mislabelled
(EUC-JP as UTF-8 and back, Shift_JIS), tables removed, classes and ids
renamed, cells filled with garbage, rows shuffled and duplicated, header rows
removed, binary junk inserted. For each, the parser must either return what
the page still says (judged by :func:`mutations.judge` against the parse of
the intact page) or raise :class:`ParseError` naming the page; any other
exception, or a result that drifts from the page (a runner lost or counted
twice, a value changed), fails the test with the mutation that caused it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import fuzz_corpus
import mutations
import pytest

from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.parsing import parse_page

Page = tuple[str, bytes]


def _fuzz(pages: list[Page], per_page: int, seed: int) -> tuple[Counter[str], list[str]]:
    """Mutate and parse every page; (outcome counts, problems found)."""
    outcomes: Counter[str] = Counter()
    problems: list[str] = []
    for number, (source, content) in enumerate(pages):
        original = parse_page(content, source=source).to_json()
        for mutated in mutations.mutations(content, seed=seed + number, count=per_page):
            label = f"{source} [{mutated.name}]"
            try:
                damaged = parse_page(mutated.content, source=source)
            except ParseError as exc:
                outcomes["raised"] += 1
                if exc.source != source or source not in str(exc):
                    problems.append(f"{label}: ParseError does not name the page: {exc}")
                continue
            except Exception as exc:  # any other exception is the finding
                problems.append(f"{label}: {type(exc).__name__}: {exc}")
                continue
            outcomes["parsed"] += 1
            why = mutations.judge(original, damaged.to_json(), mutated.allowance)
            if why is not None:
                problems.append(f"{label}: {why}")
    return outcomes, problems


def test_generated_pages_parse_or_raise_under_mutation() -> None:
    pages = fuzz_corpus.replica_pages() + fuzz_corpus.builder_pages()
    outcomes, problems = _fuzz(pages, per_page=64, seed=7_000)
    assert not problems, f"{len(problems)} bad outcome(s):\n" + "\n".join(problems[:20])
    assert sum(outcomes.values()) >= 1_000
    # both outcomes occur: the mutations reach what the parser reads, and miss it
    assert outcomes["raised"] > 100 and outcomes["parsed"] > 100, outcomes


@pytest.mark.shared
def test_real_pages_parse_or_raise_under_mutation(shared_pages: Path) -> None:
    pages = fuzz_corpus.real_pages(shared_pages)
    assert pages, f"no saved pages in {shared_pages}"
    outcomes, problems = _fuzz(pages, per_page=60, seed=9_000)
    assert not problems, f"{len(problems)} bad outcome(s):\n" + "\n".join(problems[:20])
    assert outcomes["raised"] > 50 and outcomes["parsed"] > 50, outcomes


def test_mutations_are_deterministic() -> None:
    source, content = fuzz_corpus.replica_pages()[0]
    first = [(m.name, m.content) for m in mutations.mutations(content, seed=3, count=30)]
    again = [(m.name, m.content) for m in mutations.mutations(content, seed=3, count=30)]
    other = [(m.name, m.content) for m in mutations.mutations(content, seed=4, count=30)]
    assert first == again
    assert first != other
    assert len(first) == 30 and all(body != content for _, body in first), source


def test_oracle_refuses_a_lost_runner_and_a_changed_value() -> None:
    """The judge itself: a parse that drifts from the page is caught under every allowance."""
    source, content = fuzz_corpus.replica_pages()[0]
    original = parse_page(content, source=source).to_json()
    fewer = {**original, "entries": original["entries"][:-1]}
    changed = {**original, "race": {**original["race"], "distance_m": 1}}
    renamed = {**original, "race": {**original["race"], "name": "別のレース"}}
    for allowance in mutations.Allowance:
        assert mutations.judge(original, fewer, allowance) is not None
        assert mutations.judge(original, changed, allowance) is not None
    assert mutations.judge(original, renamed, mutations.Allowance.REWRITTEN) is None
    assert mutations.judge(original, renamed, mutations.Allowance.EXACT) is not None
    lost = {**original, "payouts": original["payouts"][:3]}
    assert mutations.judge(original, lost, mutations.Allowance.LOST) is None
    assert mutations.judge(original, lost, mutations.Allowance.EXACT) is not None
