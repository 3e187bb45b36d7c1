"""Follow-up questions -> standalone questions, before retrieval.

A question that leans on the conversation ("And what did Japan say about it?") is rewritten: by
default by a rule that carries the previous question along (no model call, so a follow-up costs no
extra seconds; the answer model still reads the conversation and resolves the pronoun itself), or
by the answer model with `prompts/condense.j2` (ASSISTANT_CONDENSE=llm; the 1.5B local model
rewrites poorly: it changed "What did he suggest?" into "Who did Sergei Soigu suggest?").
A question that stands on its own is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.llms import LLM
from assistant.answer.prompts import Prompts
from assistant.text.terms import terms

_LEANING = re.compile(
    r"\b(?:it|its|he|him|his|she|her|they|them|their|this|that|these|those|there|then|the two|both)\b",
    re.IGNORECASE,
)
_OPENING = re.compile(r"^\s*(?:and|but|also|so|what about|how about|and what|why|when)\b", re.IGNORECASE)


def needs_context(question: str) -> bool:
    return bool(_LEANING.search(question) or _OPENING.match(question) or len(terms(question)) <= 2)


def by_rule(question: str, previous: str) -> str:
    """The follow-up with the previous standalone question carried along, for retrieval."""
    return f"{question.strip()} (following: {previous.strip()})"


def by_model(llm: LLM, prompts: Prompts, question: str, history: Sequence[tuple[str, str]]) -> str | None:
    """The model's rewrite, or None when it gives nothing usable."""
    prompt = prompts.render(
        "condense.j2", question=question, history=[{"question": q, "answer": a} for q, a in history]
    )
    text = "".join(llm.stream([{"role": "user", "content": prompt}], max_tokens=60)).strip()
    line = text.splitlines()[0].strip().strip('"“”') if text else ""
    line = re.sub(r"^(?:standalone question|rewritten question|question)\s*:\s*", "", line, flags=re.IGNORECASE)
    return line if len(terms(line)) >= 2 and len(line) < 400 else None
