"""Questions that join several in one: "Who is X, and where did Y happen?"."""

from __future__ import annotations

import re

_PARTS = re.compile(r"[,;]?\s+and\s+(?=(?:what|which|who|whom|whose|where|when|why|how)\b)", re.I)


def question_parts(question: str) -> list[str]:
    """The questions joined in `question`, each ending in "?"; [] for a single question.

    Retrieval and evidence look for each part too, so that the second half of a two-part question
    is not drowned by the first.
    """
    parts = [p.strip(" ,;?") + "?" for p in _PARTS.split(question)]
    return parts if len(parts) > 1 and all(len(p.split()) >= 3 for p in parts) else []
