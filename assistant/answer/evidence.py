"""Retrieved passages -> the few sentences worth showing the model, numbered, with exact offsets.

A sentence scores by its embedding similarity to the question and by the share of the question's
content words it contains; the best ones (no repeats, within a token budget) become evidence [1]..[n].
The best score is the question's relevance: below `min_relevance` the assistant refuses.

Our own rather than a llama-index node postprocessor (SentenceEmbeddingOptimizer and the like): those keep
or drop whole sentences of a node's text without their offsets in the article, and a citation needs exactly
those offsets, and a sentence that leans on the one before (below) kept with it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from assistant.retrieve.questions import question_parts
from assistant.store.embedding import Embedder
from assistant.text.sentences import sentence_spans
from assistant.text.terms import overlap, terms
from assistant.types import Evidence, Passage

# a sentence opening with one of these leans on the one before: show both
_LEANS_BACK = re.compile(
    r"^(?:(?:Nevertheless|However|Still|Yet|Instead|Meanwhile|Now|But|And|So|Also),?\s+)?"
    r"(?:He|She|It|They|His|Her|Its|Their|This|These|That|Those|The two)\b",
    re.I,
)
# so does one whose speaker is only a pronoun ("Japan, she added, had ...", "... appropriately”, he said.")
_SPEAKER_PRONOUN = re.compile(
    r"[,”\"’']\s*(?:he|she|they)\s+(?:said|says|added|adds|told|noted|warned|wrote|explained|continued)\b"
)


@dataclass(frozen=True)
class _Candidate:
    passage: Passage
    start: int
    end: int
    text: str
    context: str  # the article title and the sentence before


class EvidenceSelector:
    def __init__(
        self, embedder: Embedder, max_sentences: int, max_tokens: int, off: frozenset[str] = frozenset()
    ) -> None:
        self.embedder = embedder
        self.max_sentences = max_sentences
        self.max_tokens = max_tokens
        self.off = off  # rules turned off, for measuring (settings.RULES)
        self._vectors: dict[str, np.ndarray] = {}

    def select(
        self, question: str, passages: Sequence[Passage], today: date | None = None, *, ranking: bool = True
    ) -> tuple[list[Evidence], float]:
        """Evidence numbered 1..n and the relevance of the best sentence (0..1). The sentences that score at
        least 0.6 of the best serve, best first by `ranked` (its preferences for news asked about on `today`;
        by score alone without `ranking`), each with its own score."""
        candidates = _candidates(passages, "leans_back" not in self.off, "questions" not in self.off)
        if not candidates:
            return [], 0.0
        texts, contexts = [c.text for c in candidates], [c.context for c in candidates]
        # each part of "Who is X, and where did Y?" is scored alone too, and its best sentence goes first
        asked = question_parts(question) if "question_parts" not in self.off else []
        by_part = [self.score(part, texts, contexts) for part in asked]
        scores = np.max([self.score(question, texts, contexts), *by_part], axis=0)
        top = float(scores.max())
        part_tops = [int(np.argmax(p)) for p in by_part if p.max() >= 0.5 * top]
        # which sentences serve is their score's to say; in what order, the ranking's
        ranks = self.ranked(question, candidates, scores, today) if ranking else scores
        order = [*dict.fromkeys([*part_tops, *(int(i) for i in np.argsort(-ranks, kind="stable"))])]
        chosen: list[Evidence] = []
        seen_spans: list[tuple[str, int, int]] = []
        seen_words: list[set[str]] = []
        budget = self.max_tokens
        for i in order:
            c, score = candidates[i], float(scores[i])
            if len(chosen) >= self.max_sentences:
                break
            if score < 0.6 * top and i not in part_tops:
                continue
            span = (c.passage.article_id, c.start, c.end)
            words = set(terms(c.text))
            if any(a == span[0] and a_lo < c.end and c.start < a_hi for a, a_lo, a_hi in seen_spans) or any(
                len(words & w) / max(1, len(words | w)) >= 0.8 for w in seen_words
            ):
                continue
            cost = self.embedder.count_tokens(c.text) + 16  # the number, title and date around it
            if cost > budget and chosen:
                continue
            budget -= cost
            seen_spans.append(span)
            seen_words.append(words)
            p = c.passage
            chosen.append(
                Evidence(
                    p.article_id,
                    p.title,
                    p.source,
                    p.published_at,
                    c.start,
                    c.end,
                    c.text,
                    round(score, 4),
                    n=1 + len(chosen),
                )
            )
        return chosen, round(top, 4)

    def ranked(
        self, question: str, candidates: Sequence[_Candidate], scores: np.ndarray, today: date | None
    ) -> np.ndarray:
        """`scores` with two preferences that real news questions showed (docs/evaluation.md, fitted on
        RealTimeQA 2025, checked on 2024): a sentence naming what the question does not (`new_names`: the
        answer is most often a name the question lacks) and the more recent report (`recent_news`: less by the
        log of its age in days, counted from the newest dated candidate's; an undated one as the newest)."""
        out = np.array(scores, dtype=np.float32)
        if "new_names" not in self.off and asks_for_a_name(question):
            counts = [min(new_names(c.text, question), NAMES_COUNTED) / NAMES_COUNTED for c in candidates]
            out += NEW_NAMES * np.array(counts, np.float32)
        if "recent_news" not in self.off and today is not None:
            ages = [_age(c.passage.published_at, today) for c in candidates]
            known = [a for a in ages if a is not None]
            if known:
                newest = min(known)
                out -= RECENCY * np.array([0.0 if a is None else a - newest for a in ages], np.float32)
        return np.maximum(out, 0.0)

    def score(self, question: str, sentences: Sequence[str], contexts: Sequence[str] | None = None) -> np.ndarray:
        """Relevance of each sentence to the question, 0..1.

        0.6 x cosine similarity + 0.4 x share of the question's content words in the sentence (70%) and
        in the sentence with its context, the article title and the sentence before (30%), plus
        0.1 when the sentence holds the kind of thing the question asks for (a place for "where", a
        date for "when", a name for "who", a number for "how many") beyond the question's own words.
        """
        q_terms = terms(question)
        vectors = self.vectors([question, *sentences])
        cosine = vectors[1:] @ vectors[0]
        contexts = contexts or [""] * len(sentences)
        similarity = np.clip(cosine, 0, 1)
        if "sentence_words" in self.off:
            score = similarity
        else:
            lexical = np.array(
                [
                    0.7 * overlap(q_terms, terms(s)) + 0.3 * overlap(q_terms, terms(f"{c} {s}"))
                    for s, c in zip(sentences, contexts, strict=True)
                ],
                dtype=np.float32,
            )
            score = 0.6 * similarity + 0.4 * lexical
        if "answer_kind" not in self.off:
            score = score + np.array([answer_kind_bonus(question, s) for s in sentences], dtype=np.float32)
        return np.asarray(np.clip(score, 0, 1))

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings, remembered per text: the same sentences come back question after question."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            for text, vector in zip(missing, self.embedder.encode(missing), strict=True):
                self._vectors[text] = vector
            if len(self._vectors) > 50_000:
                self._vectors.clear()
                return self.vectors(texts)
        return np.stack([self._vectors[t] for t in texts])


# the weights of `ranked`: a logistic regression of "the sentence holds the gold answer" on 10,703 candidate
# sentences of 388 RealTimeQA 2025 questions (the whole 2025 archive, as of each quiz date) on `score`, the share
# of up to NAMES_COUNTED new names and the log age gave 0.36 and -0.46 for the score's 1 (bench/sentence_ranking.py
# --fit; docs/evaluation.md, "Evidence order")
NEW_NAMES = 0.3
NAMES_COUNTED = 3
RECENCY = 0.5
_TOKEN = re.compile(r"[\w’'-]+")
# a question whose answer is a count, an amount or a date, or an explanation ("how did", "why"): not a name
_NOT_A_NAME = re.compile(
    r"\b(?:how (?:many|much|long|old|far)|(?:what|which) (?:percentage|percent|share|number|year|date|day|month|age)"
    r"|by how)\b",
    re.I,
)
_WH = re.compile(r"\b(who|whom|whose|which|where|what|why|how|when)\b", re.I)


def asks_for_a_name(question: str) -> bool:
    """Whether the question asks who, which, where or what (not how many, what year, how or why): an answer that
    names someone or something. On RealTimeQA 2025, a bonus for new names helped those questions only."""
    wh = _WH.search(question)
    if wh is None or wh.group(1).lower() not in {"who", "whom", "whose", "which", "where", "what"}:
        return False
    return _NOT_A_NAME.search(question) is None


# a name: a run of capitalised words, but not from a text's first word or one after a full stop
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*")
_POSSESSIVE = re.compile(r"['’]s?$")


def _bare(word: str) -> str:
    return _POSSESSIVE.sub("", word.lower())


def new_names(text: str, question: str) -> int:
    """How many names `text` holds with a word the question does not ("Kim Jong-il" for "Who was Kim Jong-un's
    father?"), possessive endings ignored."""
    asked = {_bare(w) for w in _TOKEN.findall(question)}
    return sum(1 for name in _NAME.findall(text) if {_bare(w) for w in name.split()} - asked)


def _age(published_at: str | None, today: date) -> float | None:
    """log(1 + days from publication to `today`) / 8 (about 1 at 8 years), None for an undated article."""
    if not published_at:
        return None
    try:
        days = (today - date.fromisoformat(published_at[:10])).days
    except ValueError:
        return None
    return math.log1p(max(days, 0)) / 8


_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
_KINDS = (
    (re.compile(r"^\s*(?:in )?(?:what|which) year\b", re.I), re.compile(r"\b(?:19|20)\d\d\b")),
    (re.compile(r"^\s*when\b|(?:what|which) (?:day|date|month|time)s?\b", re.I), re.compile(rf"\b(?:{_MONTH})\b")),
    (
        re.compile(r"^\s*how (?:many|much|long|far|old)\b", re.I),
        re.compile(
            r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|thousand|million|billion"
            r"|twice|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)\b",  # "the seventh time": a count
            re.I,
        ),
    ),
    (
        re.compile(r"^\s*(?:where|in which|at which|which (?:city|place|country|region))\b", re.I),
        re.compile(r"\b(?:in|at|to|near|from)\s+(?:the\s+)?[A-Z][\w’'-]+"),
    ),
    (re.compile(r"^\s*(?:who|whom|whose)\b", re.I), re.compile(r"\b[A-Z][a-z]+\s+[A-Z][a-z]+")),
)


def answer_kind_bonus(question: str, sentence: str) -> float:
    """0.1 when `sentence` has what a wh-question asks for, outside the words of the question itself."""
    asked = {w.lower() for w in re.findall(r"[\w’'-]+", question)}
    for kind, found in _KINDS:
        if kind.search(question):
            for match in found.finditer(sentence):
                words = {w.lower() for w in re.findall(r"[\w’'-]+", match.group())} - {
                    "in",
                    "at",
                    "to",
                    "near",
                    "from",
                    "the",
                }
                if words - asked:
                    return 0.1
            return 0.0
    return 0.0


_ASKS = re.compile(r"\?[\"”’')]*\s*$")


def _candidates(passages: Sequence[Passage], leans_back: bool = True, asks: bool = True) -> list[_Candidate]:
    out: list[_Candidate] = []
    for p in passages:
        spans = sentence_spans(p.text, offset=p.start)
        for j, (lo, hi) in enumerate(spans):
            text = p.text[lo - p.start : hi - p.start]
            if len(terms(text)) < 3:  # headings, bylines, datelines
                continue
            if asks and _ASKS.search(text):  # "Has a team won both championships in the same year?" states nothing
                continue
            if leans_back and j > 0 and (_LEANS_BACK.match(text) or _SPEAKER_PRONOUN.search(text)):
                lo = spans[j - 1][0]
                text = p.text[lo - p.start : hi - p.start]
            before = p.text[spans[j - 1][0] - p.start : spans[j - 1][1] - p.start] if j > 0 else ""
            out.append(_Candidate(p, lo, hi, text, f"{p.title} {before}"))
    return out
