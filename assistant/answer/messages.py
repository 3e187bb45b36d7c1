"""What the model reads: the chat messages of a turn and the requests over numbered sources.

In: the conversation's turns, the numbered evidence, the question. Out: chat messages for an `LLM`, and the
citation check's question to the model (`sentence_judge`), which lives here because it is a prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.answer.llms import LLM, Message
from assistant.answer.prompts import Prompts
from assistant.cite.check import Judge
from assistant.types import Evidence, Turn


def turn_messages(
    prompts: Prompts, history: Sequence[Turn], evidence: Sequence[Evidence], question: str
) -> list[Message]:
    """The system prompt, each earlier turn as the model saw it (its evidence and its own words), then the
    request to answer `question` from `evidence`."""
    out: list[Message] = [{"role": "system", "content": prompts.render("system.j2")}]
    for turn in history:
        out.append({"role": "user", "content": user_prompt(prompts, turn.evidence, turn.question)})
        out.append({"role": "assistant", "content": turn.generated or turn.answer})
    out.append({"role": "user", "content": user_prompt(prompts, evidence, question)})
    return out


def user_prompt(
    prompts: Prompts, evidence: Sequence[Evidence], question: str, template: str = "answer.j2", **more: Any
) -> str:
    """A request over numbered sources (`template` includes sources.j2).

    Sentences are grouped by article, and the articles come in the order of their best sentence: a
    small model leans on what it reads first, so the best source must not sit under another article."""
    articles: dict[str, dict[str, Any]] = {}
    for e in evidence:
        group = articles.setdefault(
            e.article_id, {"title": e.title, "date": (e.published_at or "")[:10], "evidence": []}
        )
        group["evidence"].append({"n": e.n, "quote": " ".join(e.quote.split())})
    return prompts.render(template, articles=list(articles.values()), question=question, **more)


def sentence_judge(model: LLM, prompts: Prompts, question: str) -> Judge:
    """The citation check's question to the model: do these spans state this answer sentence?

    prompts/claim.j2 shows the spans alone, numbered as the answer cites them, with the question: the
    form measured on labelled pairs (docs/citation-check.md). Shown among all the answer's sources (its
    own prompt, which the model has just read, so only the sentence would be new to it) the model's
    yes grew less sure of sentences its span states word for word (0.63-0.69 on seed answers), and the
    threshold chosen on the pairs would not hold there."""
    system: Message = {"role": "system", "content": prompts.render("system.j2")}

    def judge(sentence: str, spans: Sequence[Evidence]) -> float | None:
        cited = [e.n for e in spans]
        user = user_prompt(prompts, spans, question, "claim.j2", sentence=sentence, cited=cited)
        return model.judge([system, {"role": "user", "content": user}])

    return judge
