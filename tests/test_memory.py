"""Freed heap memory goes back to the OS when asked (glibc keeps it otherwise)."""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

import pytest

from assistant.ingest.memory import give_back


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_freed_small_blocks_are_given_back() -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = [libc.malloc(4096) for _ in range(40_000)]  # ~160 MB in blocks below the mmap threshold
    for b in blocks:
        ctypes.memset(b, 1, 4096)  # touched: resident
    keep = libc.malloc(64)  # one block above them keeps the heap from shrinking by itself
    for b in blocks:
        libc.free(b)
    before = _rss_mb()
    assert give_back()
    assert before - _rss_mb() > 100
    libc.free(keep)
