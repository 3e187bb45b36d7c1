"""Sentence spans of clean article text, for evidence and for the citation check."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_PARAGRAPH = re.compile(r"[^\n]+")


@lru_cache(maxsize=1)
def _punkt() -> Any:
    # llama-index bundles nltk's punkt data and points nltk at it on import; nothing is downloaded
    import llama_index.core  # noqa: F401
    from nltk.tokenize import PunktSentenceTokenizer

    return PunktSentenceTokenizer()


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`, shifted by `offset`; lines never join into one sentence."""
    spans = []
    for line in _PARAGRAPH.finditer(text):
        body = line.group()
        for lo, hi in _punkt().span_tokenize(body):
            if body[lo:hi].strip():
                spans.append((offset + line.start() + lo, offset + line.start() + hi))
    return spans


def split_sentences(text: str) -> list[str]:
    return [text[lo:hi] for lo, hi in sentence_spans(text)]
