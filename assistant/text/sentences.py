"""Sentence spans of clean article text, for evidence and for the citation check."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

_PARAGRAPH = re.compile(r"[^\n]+")


# titles American news abbreviates that the trained model does not know ("Gov. Newsom" ended a sentence)
_TITLES = {"gov", "sgt", "capt", "cmdr", "rev", "hon", "pres", "supt", "det"}
# an abbreviation before a number ("the No. 1 seed", "Nos. 29 and 30", "ext. 2306"): the model ended a
# sentence at "No." 291 times in 1,000 articles of 2025 ("... the No." / "1 priority for ..."); not made an
# abbreviation type, which would also keep "He said no." from ending a sentence
_BEFORE_NUMBER = re.compile(r"\b(?:No|Nos|Vol|Ste|Art|Fig|ext)\.$")


@lru_cache(maxsize=1)
def _punkt() -> Any:
    """nltk's Punkt model for English (trained on news), from the copy llama-index ships: nothing is downloaded.
    An untrained Punkt ended sentences at "U.S.", "Mr." and "Sept." ("... helping Mr [1]. Putin kill ...")."""
    import llama_index.core
    import nltk
    from nltk.tokenize.punkt import PunktTokenizer

    data = str(Path(llama_index.core.__file__).parent / "_static" / "nltk_cache")
    if data not in nltk.data.path:
        nltk.data.path.append(data)
    tokenizer = PunktTokenizer("english")
    tokenizer._params.abbrev_types.update(_TITLES)
    return tokenizer


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`, shifted by `offset`; lines never join into one sentence."""
    spans: list[tuple[int, int]] = []
    for line in _PARAGRAPH.finditer(text):
        body, joined = line.group(), list[tuple[int, int]]()
        for lo, hi in _punkt().span_tokenize(body):
            if joined and body[lo : lo + 1].isdigit() and _BEFORE_NUMBER.search(body, 0, joined[-1][1]):
                joined[-1] = (joined[-1][0], hi)
            elif body[lo:hi].strip():
                joined.append((lo, hi))
        spans.extend((offset + line.start() + lo, offset + line.start() + hi) for lo, hi in joined)
    return spans


def split_sentences(text: str) -> list[str]:
    return [text[lo:hi] for lo, hi in sentence_spans(text)]
