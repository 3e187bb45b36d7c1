"""A turn's evidence in parts, one per article that answers about as well as the best, each numbered from
where the turn starts, and the model's markers mapped back to the turn's numbers.

A small model answers from one article and misses the other's half; asked once per article it answers each.
"""

from __future__ import annotations

import dataclasses
import re

from assistant.cite.check import MARKER, marker_numbers
from assistant.types import Evidence


def parts(evidence: list[Evidence], per_article: float) -> list[list[Evidence]]:
    """The evidence in one part, or, when several articles have a sentence scoring at least `per_article`
    times the best, one part per such article."""
    if not evidence:
        return [evidence]
    best: dict[str, float] = {}
    for e in evidence:
        best[e.article_id] = max(best.get(e.article_id, 0.0), e.score)
    top = max(best.values())
    strong = [a for a, score in best.items() if score >= per_article * top]
    if len(strong) < 2:
        return [evidence]
    return [[e for e in evidence if e.article_id == a] for a in strong]


def renumber(evidence: list[Evidence], first: int) -> list[Evidence]:
    return [dataclasses.replace(e, n=first + i) for i, e in enumerate(evidence)]


def numbers_mapped(text: str, numbers: dict[int, int], first: int) -> str:
    """The model's markers with its part's numbers made the turn's; one naming no sentence of the part
    becomes 0 (dropped by the citation check), one below `first` (an earlier turn's) stays."""

    def mapped(m: re.Match[str]) -> str:
        turn = [n if n < first else numbers.get(n, 0) for n in marker_numbers(m)]
        return m.group(0)[: m.start(1) - m.start()] + ", ".join(map(str, turn)) + "]"

    return MARKER.sub(mapped, text)
