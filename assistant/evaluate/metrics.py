"""Evaluation metrics: pure functions on plain values, with no judge model.

Anchors: hit rate and MRR as in llama-index's retrieval evaluator; token F1 as in SQuAD; citation
recall and precision as in ALCE (Gao et al. 2023), with the pipeline's lexical/embedding support check
standing in for ALCE's NLI model; refusal precision and recall on unanswerable questions.

Edge cases: a metric with nothing to measure (an empty test set, no answerable case, every answer a
refusal) is None, shown as "n/a"; never 0 and never a crash. Written by hand: llama-index's metrics
need its judge-model dataset classes, and none of ALCE's code runs without an NLI model.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.text.sentences import sentence_spans
from assistant.text.terms import overlap, terms

TOP_K = 10  # ranking depth of the retrieval metrics
HIT_KS = (1, 3, 5, 10)
QUOTE_OVERLAP = 0.8  # share of a quote's content words that makes a paraphrase count as present

# name -> what it measures; all are shares in 0..1, higher is better (the names `--fail-under` takes)
METRICS = {
    **{
        f"hit@{k}": f"a gold quote is in one of the first {k} passages retrieved (answerable cases with quotes)"
        for k in HIT_KS
    },
    f"mrr@{TOP_K}": f"mean of 1/rank of the first passage holding a gold quote, 0 past rank {TOP_K}",
    "correctness": "the answer holds every keyword group and names no distractor (answerable cases with keywords; "
    "a refusal is wrong)",
    "cited_correctness": "correct, and the spans it cites hold every keyword group: the citations checked against "
    "the gold, not by the pipeline's own support check",
    "token_f1": "word-overlap F1 of the answer with the reference answer (SQuAD-style; a refusal scores 0)",
    "citation_precision": "cited spans that support their sentence or overlap a gold quote (answered cases)",
    "citation_recall": "answer sentences with a citation that supports them (answered cases)",
    "citation_on_gold": "cited spans that overlap a gold quote: the citations checked against the gold, not by the "
    "pipeline's own check (answered cases with quotes)",
    "refusal_precision": "refusals that were on unanswerable questions",
    "refusal_recall": "unanswerable questions that were refused",
}
# name -> what it counts: reported beside the metrics, not bounds
ANSWERS = {
    "confidently_wrong": "answers that name a distractor and miss a keyword (answerable cases with keywords)",
    "refused": "answerable questions refused",
    "unanswerable_named_wrong": "unanswerable cases with distractors whose answer names one (RealTimeQA --no-gold)",
    "words_p50": "words per answer, median (refusals left out)",
    "words_p95": "words per answer, 95th percentile (refusals left out)",
}
LATENCY = ("retrieve_ms", "evidence_ms", "verify_ms", "first_token_ms", "check_ms", "total_ms", "prompt_tokens")


# --- text matching ---------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Case-, accent- and punctuation-insensitive words: "Šoigu’s 20-hour trip" -> "soigu s 20 hour trip"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.findall(r"[^\W_]+", plain))


def contains(text: str, phrase: str) -> bool:
    """Whether `phrase` occurs in `text` as whole words, after `normalize` (an empty phrase never does)."""
    needle = normalize(phrase)
    return bool(needle) and f" {needle} " in f" {normalize(text)} "


def quote_in(text: str, quote: str) -> bool:
    """Whether `text` holds `quote`: as normalized words, or (for paraphrased facts such as MultiHop-RAG's)
    with at least QUOTE_OVERLAP of the quote's distinct stemmed content words."""
    if contains(text, quote):
        return True
    wanted = terms(quote)
    return len(set(wanted)) >= 3 and overlap(wanted, terms(text)) >= QUOTE_OVERLAP


def overlaps_quote(cited: str, quotes: Iterable[str]) -> bool:
    """Whether a cited span and a gold quote share a sentence (either may hold more than one)."""
    for quote in quotes:
        if any(quote_in(cited, piece) for piece in _sentences(quote)):
            return True
        if any(quote_in(quote, piece) for piece in _sentences(cited)):
            return True
    return False


def _sentences(text: str) -> list[str]:
    return [text[lo:hi] for lo, hi in sentence_spans(text)] or [text]


# --- retrieval -------------------------------------------------------------------------------------


def holds_quote(passage: str, quotes: Iterable[str]) -> bool:
    """Whether a retrieved passage holds one of the gold quotes: a hit."""
    return any(quote_in(passage, q) for q in quotes)


def first_hit(hits: Sequence[bool]) -> int | None:
    """1-based rank of the first hit in a ranking; None when there is none."""
    return next((rank for rank, hit in enumerate(hits, 1) if hit), None)


def hit_at(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None, k: int = TOP_K) -> float:
    return 1.0 / rank if rank is not None and rank <= k else 0.0


# --- answers ---------------------------------------------------------------------------------------


def missing_keywords(answer: str, groups: Sequence[Sequence[str]]) -> list[Sequence[str]]:
    """The keyword groups none of whose aliases the answer contains."""
    return [group for group in groups if not any(contains(answer, alias) for alias in group)]


def word_count(text: str) -> int:
    """Words of `text` as `normalize` splits them ("U.S.-based" is three)."""
    return len(normalize(text).split())


def keywords_correct(answer: str, groups: Sequence[Sequence[str]]) -> bool | None:
    """True when every group has an alias in the answer; None when there are no groups."""
    return None if not groups else not missing_keywords(answer, groups)


_ARTICLES = frozenset({"a", "an", "the"})


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD's F1 over normalized words without articles; 1.0 when both are empty, 0.0 when one is."""
    pred = [w for w in normalize(prediction).split() if w not in _ARTICLES]
    ref = [w for w in normalize(reference).split() if w not in _ARTICLES]
    if not pred or not ref:
        return float(pred == ref)
    same = sum((Counter(pred) & Counter(ref)).values())
    if not same:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


# --- citations -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CitedSentence:
    """One answer sentence as the citation metrics see it."""

    supported: bool  # the support check passed with this sentence's citations
    on_gold: tuple[bool, ...]  # per citation of the sentence: its span overlaps a gold quote


def citation_recall(sentences: Sequence[CitedSentence]) -> float | None:
    """Share of the sentences that have a citation supporting them; None for an answer of no sentences."""
    if not sentences:
        return None
    return sum(s.supported and len(s.on_gold) > 0 for s in sentences) / len(sentences)


def citation_precision(sentences: Sequence[CitedSentence]) -> float | None:
    """Share of the citations that support their sentence or overlap a gold quote.

    None for an answer of no sentences; 0.0 for sentences without a single citation, as ALCE scores it.
    """
    if not sentences:
        return None
    relevant = [s.supported or gold for s in sentences for gold in s.on_gold]
    return sum(relevant) / len(relevant) if relevant else 0.0


def citation_on_gold(sentences: Sequence[CitedSentence]) -> float | None:
    """Share of the citations whose span overlaps a gold quote, whatever the check said of them; None for
    an answer without citations."""
    cited = [gold for s in sentences for gold in s.on_gold]
    return sum(cited) / len(cited) if cited else None


# --- refusals --------------------------------------------------------------------------------------


def refusal_precision(outcomes: Sequence[tuple[bool, bool]]) -> float | None:
    """Of (answerable, refused) pairs: the share of refusals that were on unanswerable questions."""
    refused = [answerable for answerable, was_refused in outcomes if was_refused]
    return None if not refused else refused.count(False) / len(refused)


def refusal_recall(outcomes: Sequence[tuple[bool, bool]]) -> float | None:
    """Of (answerable, refused) pairs: the share of unanswerable questions that were refused."""
    unanswerable = [was_refused for answerable, was_refused in outcomes if not answerable]
    return None if not unanswerable else unanswerable.count(True) / len(unanswerable)


# --- aggregation -----------------------------------------------------------------------------------


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the measured values (None ones left out); None when there are none."""
    known = [v for v in values if v is not None]
    return math.fsum(known) / len(known) if known else None


def percentile(values: Iterable[float | None], q: float) -> float | None:
    """The q-th percentile (0..100), linear between closest ranks as numpy's default; None when empty."""
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q / 100
    lo = math.floor(position)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (position - lo)
