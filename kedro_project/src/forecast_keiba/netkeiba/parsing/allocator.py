"""Keeping freed parse memory in the process instead of handing it back at once.

Why: every lexbor document allocates a few hundred kB and frees it when the
tree is dropped. With glibc's default trim threshold that memory goes back
to the OS after each page and is page-faulted in again for the next one;
measured on a 50 kB result page that is ~115 page faults and roughly half of
the tree-building time. Raising the trim threshold lets the process reuse
the memory. It is a process-wide malloc setting, so it is opt-in: batch
entry points (``keiba parse``, the bench, pipeline workers) call it once.
"""

from __future__ import annotations

import ctypes
import sys

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter number
DEFAULT_KEEP_BYTES = 64 * 1024 * 1024


def tune_allocator(keep_bytes: int = DEFAULT_KEEP_BYTES) -> bool:
    """Let glibc keep up to ``keep_bytes`` of freed heap; True if it was applied.

    A no-op returning False where there is no glibc ``mallopt`` (macOS, musl).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(_M_TRIM_THRESHOLD, keep_bytes))
