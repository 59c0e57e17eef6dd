"""Fixtures of the parser tests: the real saved pages in ../shared, and the page builders.

The real pages live outside the repository (they are netkeiba's content and
are never copied in); tests that read them are marked ``shared`` and skip
when the directory is absent.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# page_builders is a plain module next to the tests (the bench imports it too)
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

SHARED_PAGES = HERE.parents[2] / ".." / "shared" / "netkeiba" / "pages"
SHARED_DATA = HERE.parents[2] / ".." / "shared" / "netkeiba" / "data"


@pytest.fixture(scope="session")
def shared_pages() -> Path:
    """The directory of real saved netkeiba pages; skips the test when it is absent."""
    if not SHARED_PAGES.is_dir():
        pytest.skip(f"real netkeiba pages not available at {SHARED_PAGES}")
    return SHARED_PAGES.resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The directory of real netkeiba data exports; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real netkeiba data not available at {SHARED_DATA}")
    return SHARED_DATA.resolve()
