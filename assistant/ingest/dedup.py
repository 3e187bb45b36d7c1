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
    # each n-gram is a slice of the words joined once (no join per n-gram); a repeated n-gram needs no
    # removing, it cannot change a minimum
    joined = " ".join(words).encode()
    sizes = np.fromiter(map(len, map(str.encode, words)), dtype=np.int64, count=len(words)) + 1
    ends = np.cumsum(sizes) - 1  # byte offset just past each word
    starts = ends - sizes + 1
    last = max(0, len(words) - n)
    if words:
        spans = zip(starts[: last + 1].tolist(), ends[min(n, len(words)) - 1 :].tolist(), strict=True)
    else:
        spans = zip([0], [0], strict=True)
    hashes = np.fromiter((zlib.crc32(joined[a:b]) for a, b in spans), dtype=np.int64, count=last + 1)
    hashes %= _PRIME
    mixed = np.multiply.outer(hashes, _A)
    mixed += _B
    mixed %= _PRIME
    return mixed.min(axis=0).astype(np.uint32)


def encode(sig: np.ndarray) -> str:
    return sig.astype(">u4").tobytes().hex()


def decode(text: str) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(text), dtype=">u4").astype(np.uint32)


class DuplicateFinder:
    """Signatures of the articles seen so far; `match` names the most similar one above a threshold."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._keys: list[str] = []
        self._sigs = np.zeros((64, _PERMUTATIONS), dtype=np.uint32)  # the first len(_keys) rows are in use

    def add(self, key: str, sig: np.ndarray) -> None:
        if len(self._keys) == len(self._sigs):
            self._sigs = np.concatenate([self._sigs, np.zeros_like(self._sigs)])
        self._sigs[len(self._keys)] = sig
        self._keys.append(key)

    def match(self, sig: np.ndarray, exclude: str | None = None) -> tuple[str, float] | None:
        if not self._keys:
            return None
        similarity = (self._sigs[: len(self._keys)] == sig).mean(axis=1)
        for i in np.argsort(-similarity):
            if similarity[i] < self.threshold:
                return None
            if self._keys[i] != exclude:
                return self._keys[i], float(similarity[i])
        return None
