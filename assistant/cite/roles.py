"""Swapped roles: "Zelenskyy admonished Trump" from a span where Trump admonished Zelenskyy.

The model's yes/no on a sentence barely tells who did what to whom (docs/citation-check.md: 0.30-0.50 of
swapped-role pairs caught), but it rates a sentence and the same sentence with two of its names swapped
against each other better than it rates either alone. So a sentence the model passes is put to it again
with two of its names (both named in the cited spans) swapped; when a swapped copy is the likelier, the
sentence is taken as not stated. Chosen on the tuning pairs (bundled and 2025): balanced accuracy
0.864 -> 0.877, swapped roles caught 0.45 -> 0.70; on the held-out 2024 pairs 0.803 -> 0.819 and 0.20 -> 0.45,
two supported merges lost; about 1.4 more questions to the model per passed sentence (docs/citation-check.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.cite.check import Judge
    from assistant.types import Evidence

MARGIN = 0.02  # a swapped copy must be this much likelier than the sentence (tuning pairs: 0.02-0.05 alike)

# a run of capitalised words, with "of"/"the" inside ("Bank of England"); possessive endings come off
_NAME = re.compile(r"\b[A-Z][\w\-’'.]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w\-’'.]*)*")
_POSSESSIVE = re.compile(r"(?:’s|'s|’|')$")
# capitalised at a sentence's start or as function words, not names
_NOT_NAMES = frozenset(
    [
        "the",
        "a",
        "an",
        "after",
        "in",
        "at",
        "on",
        "according",
        "before",
        "while",
        "when",
        "both",
        "during",
        "as",
        "it",
        "he",
        "she",
        "they",
        "this",
        "that",
        "there",
        "for",
        "with",
        "by",
        "from",
        "to",
        "of",
        "and",
        "but",
        "since",
        "until",
        "following",
        "last",
        "some",
        "many",
        "most",
        "about",
        "who",
        "what",
        "where",
        "why",
        "how",
        "yes",
        "no",
        "his",
        "her",
        "their",
        "its",
    ]
)


def names(sentence: str, spans: str) -> list[tuple[str, int]]:
    """The sentence's names that the spans also hold, each once, with where it first is in the sentence."""
    held = spans.lower()
    out: list[tuple[str, int]] = []
    for m in _NAME.finditer(sentence):
        words = _POSSESSIVE.sub("", m.group(0)).rstrip(".").split()
        while words and words[0].lower() in _NOT_NAMES:
            words = words[1:]
        if not words:
            continue
        name = " ".join(words)
        if name.lower() in held and all(name != seen for seen, _ in out):
            out.append((name, sentence.index(name, m.start())))
    return out


def swapped(sentence: str, spans: str, most: int) -> list[str]:
    """Up to `most` copies of the sentence, each with one pair of its names (first ones first) trading places;
    a pair where one name holds the other ("Kim", "Kim Jong-un") is skipped."""
    found = names(sentence, spans)
    out = []
    for i in range(len(found)):
        for j in range(i + 1, len(found)):
            (a, at), (b, bt) = found[i], found[j]
            if a in b or b in a:
                continue
            (x, xt), (y, yt) = sorted([(a, at), (b, bt)], key=lambda t: t[1])
            out.append(sentence[:xt] + y + sentence[xt + len(x) : yt] + x + sentence[yt + len(y) :])
            if len(out) == most:
                return out
    return out


def role_checked(judge: Judge, threshold: float, swaps: int) -> Judge:
    """`judge`, and for a sentence it passes (`threshold`), up to `swaps` role-swapped copies put to it too: a
    copy likelier than the sentence by MARGIN gives the sentence 0 (the spans do not state it so)."""
    if swaps <= 0:
        return judge

    def checked(sentence: str, spans: Sequence[Evidence]) -> float | None:
        p = judge(sentence, spans)
        if p is None or p < threshold:
            return p
        for other in swapped(sentence, " ".join(e.quote for e in spans), swaps):
            q = judge(other, spans)
            if q is not None and q > p + MARGIN:
                return 0.0
        return p

    return checked
