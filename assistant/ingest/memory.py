"""Giving freed heap memory back to the operating system, for long runs that allocate in waves.

glibc keeps what a thread frees in that thread's arena for reuse; the embedding model's inference threads
each free a batch's buffers there, and without a trim an indexing run held ~290 MB more than it used
(measured: 1,164 MB against 876 MB after encoding the same 4,500 texts). Elsewhere (musl, macOS) a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def give_back() -> bool:
    """Return the free parts of the heap to the OS; False where the C library cannot."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
