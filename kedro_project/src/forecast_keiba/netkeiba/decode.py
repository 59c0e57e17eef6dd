"""Turning netkeiba's bytes into text.

netkeiba serves EUC-JP, pages re-saved by people are often UTF-8 while still
declaring EUC-JP, and HTTP headers are not always honest. So: trust a charset
only if the bytes decode cleanly with it, try the declared one first, then
UTF-8 (strict: EUC-JP bytes essentially never form valid UTF-8), then EUC-JP.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)


def declared_charset(content: bytes, header_charset: str | None = None) -> str | None:
    """The charset named by the HTTP header, else by the first ``<meta>`` in the head."""
    if header_charset:
        return _normalise(header_charset)
    match = _META_CHARSET.search(content[:4096])
    return _normalise(match.group(1).decode("ascii")) if match else None


def decode_html(content: bytes | str, header_charset: str | None = None) -> str:
    """Decode a page; see the module docstring for the order of attempts.

    Falls back to EUC-JP with replacement characters only when nothing decodes
    cleanly, so a damaged page still reaches the parser, which then judges it.
    """
    if isinstance(content, str):
        return content
    candidates = [declared_charset(content, header_charset), "utf-8", "euc_jp"]
    for charset in dict.fromkeys(c for c in candidates if c):
        try:
            return content.decode(charset)
        except (UnicodeDecodeError, LookupError):
            continue
    return content.decode("euc_jp", errors="replace")


def _normalise(name: str) -> str | None:
    try:
        return codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
