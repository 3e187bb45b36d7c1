"""Answers that say nothing: the model's own ways of declining, and answers whose every word the question
already holds. A part of the model's answer that is one of these is dropped before the citation check.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.cite.check import MARKER
from assistant.text.terms import numbers, terms

DECLINES = (
    "don't say",
    "do not say",
    "does not say",
    "not mentioned",
    "does not mention",
    "do not mention",
    "no information",
    "not provided",
    "not specified",
    "do not contain",
    "does not contain",
    "don't mention",
)


def is_refusal(text: str, refusal: str) -> bool:
    """The model said, in some words, that the sources do not answer (it rarely uses the exact ones)."""
    norm = " ".join(text.lower().replace("’", "'").split())
    return norm.startswith(refusal.lower().rstrip(".")) or (len(norm) < 120 and any(p in norm for p in DECLINES))


_ASKS_QUANTITY = re.compile(r"\bhow (?:many|much|old|long)\b", re.IGNORECASE)


def says_nothing(text: str, questions: Sequence[str]) -> bool:
    """An answer that tells nothing: every content word comes from the question ("The name of X is [1]."),
    or a question for a quantity (how many, much, old, long) gets no number beyond the question's own."""
    text = MARKER.sub(" ", text)
    if not set(terms(text)) - {t for q in questions for t in terms(q)}:
        return True
    asked = set().union(*(numbers(q) for q in questions))
    return any(_ASKS_QUANTITY.search(q) for q in questions) and not numbers(text) - asked
