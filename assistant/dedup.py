"""Near-duplicate articles (one wire story republished by two outlets), found by MinHash.

Written by hand with numpy (no MinHash library in our stack): a 64-number signature of each
article's word 5-grams; the share of equal numbers estimates the Jaccard similarity of two articles.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

_PERMUTATIONS = 64
_PRIME = (1 << 31) - 1
_rng = np.random.default_rng(20230915)
_A = _rng.integers(1, _PRIME, _PERMUTATIONS, dtype=np.int64)
_B = _rng.integers(0, _PRIME, _PERMUTATIONS, dtype=np.int64)


def signature(text: str, n: int = 5) -> np.ndarray:
    words = re.findall(r"\w+", text.lower())
    grams = {" ".join(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}
    hashes = np.fromiter((zlib.crc32(g.encode()) % _PRIME for g in grams), dtype=np.int64, count=len(grams))
    return ((np.outer(hashes, _A) + _B) % _PRIME).min(axis=0).astype(np.uint32)


def encode(sig: np.ndarray) -> str:
    return sig.astype(">u4").tobytes().hex()


def decode(text: str) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(text), dtype=">u4").astype(np.uint32)


class DuplicateFinder:
    """Signatures of the articles seen so far; `match` names the most similar one above a threshold."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._keys: list[str] = []
        self._sigs: list[np.ndarray] = []

    def add(self, key: str, sig: np.ndarray) -> None:
        self._keys.append(key)
        self._sigs.append(sig)

    def match(self, sig: np.ndarray, exclude: str | None = None) -> tuple[str, float] | None:
        if not self._sigs:
            return None
        similarity = (np.stack(self._sigs) == sig).mean(axis=1)
        for i in np.argsort(-similarity):
            if similarity[i] < self.threshold:
                return None
            if self._keys[i] != exclude:
                return self._keys[i], float(similarity[i])
        return None
