"""A test set through the answering pipeline: each case answered as in the chat, scored, then summarized.

`run(cases, assistant, llm=..., progress=...)` is what `assistant eval` and the web app's Evaluation tab
call; `Run.to_json()` is what `--json` writes and what a later run takes as its `--baseline`.

Scoring (see `metrics` for each function):
- retrieval: the ten best passages for the question the pipeline retrieved with (the standalone one for a
  follow-up), the same ranking whose first `retrieve_k` the answer used; a passage hits when it holds a
  gold quote, or, for a case with no quotes but a gold `article`, when it comes from that article;
- answers: the answer's sentences without their [n] markers, against the keywords (all of them named, no
  distractor named) and the reference; also how many named only a distractor, refusals, words per answer;
- citations: each cited span against the gold quotes and the pipeline's own support check;
- a case that raised an error counts as wrong everywhere it is measured (no passage, no answer, no
  refusal) and is left out of the latency figures.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import ConfigError, IndexMissingError, StoreError
from assistant.evaluate import metrics as m
from assistant.evaluate.testset import Case, HistoryTurn
from assistant.retrieve.hybrid import Filters
from assistant.types import Sentence, Turn

if TYPE_CHECKING:
    from assistant.answer.pipeline import Assistant
    from assistant.types import Answer, ArticleInfo, Passage

Progress = Callable[[int, int], None]  # (cases done, cases in all)
HIT_AT = 5  # the retrieval depth a case must reach not to be listed as a retrieval failure


@dataclass(frozen=True)
class CitedSpan:
    n: int
    article_id: str
    title: str
    start: int
    end: int
    quote: str
    supported: bool  # a sentence citing it is supported by it
    on_gold: bool  # it overlaps a gold quote


@dataclass(frozen=True)
class Ranked:
    article_id: str
    title: str
    start: int
    end: int
    hit: bool


@dataclass
class CaseResult:
    id: str
    type: str
    question: str
    history: list[str]
    answerable: bool
    reference: str
    keywords: list[list[str]]
    quotes: list[str]
    distractors: list[str] = field(default_factory=list)
    standalone_question: str = ""
    answer: str = ""
    refused: bool = False
    relevance: float | None = None
    p_answerable: float | None = None  # the model's yes to "do the sources state the answer?"
    llm: str | None = None
    notice: str | None = None
    sentences: list[Sentence] = field(default_factory=list)
    citations: list[CitedSpan] = field(default_factory=list)
    ranking: list[Ranked] = field(default_factory=list)
    rank: int | None = None  # of the first passage that hits
    missing: list[list[str]] = field(default_factory=list)  # keyword groups the answer lacks
    named_distractors: list[str] = field(default_factory=list)  # the wrong answers it names
    words: int | None = None  # of the answer (None for a refusal)
    scores: dict[str, float | None] = field(default_factory=dict)  # the metrics measured on this case
    failures: list[str] = field(default_factory=list)
    error: str | None = None
    timings: dict[str, float | int | None] = field(default_factory=dict)
    seconds: float = 0.0  # wall time of the case, earlier turns included

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class Summary:
    n: int
    answerable: int
    unanswerable: int
    errors: int
    passed: int
    metrics: dict[str, float | None]  # named as in `metrics.METRICS`
    answers: dict[str, float | None]  # named as in `metrics.ANSWERS`: reported, not bounds (lower is not worse)
    latency: dict[str, dict[str, float | None]]  # stage -> {"p50": ..., "p95": ...}


@dataclass
class Run:
    name: str
    llm: str
    started: str
    seconds: float
    config: dict[str, Any]  # the settings that shape the answers, and the comparison tolerances
    overall: Summary
    by_type: dict[str, Summary]
    cases: list[CaseResult]
    warnings: list[str]

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for case, result in zip(data["cases"], self.cases, strict=True):
            case["passed"] = result.passed
        return data


def run(
    cases: Sequence[Case],
    assistant: Assistant,
    llm: str | None = None,
    progress: Progress | None = None,
    name: str = "test set",
) -> Run:
    """Answer and score every case; an error in one case is recorded in its result, not raised."""
    backend = llm or assistant.settings.llm
    started = datetime.now().astimezone().isoformat(timespec="seconds")
    t0 = time.perf_counter()
    infos = assistant.store.list_articles()
    _warm_up(assistant, backend)
    if progress:
        progress(0, len(cases))
    results = []
    for i, case in enumerate(cases, 1):
        results.append(_run_case(case, assistant, backend, gold_articles(case, infos)))
        if progress:
            progress(i, len(cases))
    types = sorted({r.type for r in results})
    return Run(
        name=name,
        llm=backend,
        started=started,
        seconds=round(time.perf_counter() - t0, 1),
        config=assistant.settings.model_dump(mode="json", include=CONFIG),
        overall=summarize(results),
        by_type={t: summarize([r for r in results if r.type == t]) for t in types},
        cases=results,
        warnings=_warnings(cases, infos, results, backend),
    )


CONFIG = {
    "embed_model",
    "chunk_size",
    "retrieve_k",
    "passages_per_article",
    "recency_boost",
    "extractive_sentences",
    "evidence_sentences",
    "min_relevance",
    "verify_answerable",
    "condense",
    "per_article",
    "claim_threshold",
    "claim_role_swaps",
    "rules_off",
    "eval_metric_tolerance",
    "eval_latency_tolerance",
}


def _warm_up(assistant: Assistant, backend: str) -> None:
    """Load the models and build the keyword index before the clock runs for case 1 (a running app has)."""
    from assistant.answer.llms import LLMUnavailable, LocalLLM

    assistant.ask("warm up", llm="extractive")
    if backend == "local":
        with contextlib.suppress(LLMUnavailable):  # the pipeline then reports it in every answer
            LocalLLM(assistant.settings).model  # noqa: B018  (loaded once per process, shared)


def summarize(results: Sequence[CaseResult]) -> Summary:
    """The metrics over a group of results (None where the group has nothing to measure)."""
    outcomes = [(r.answerable, r.refused) for r in results]
    metrics = {name: m.mean(r.scores.get(name) for r in results) for name in m.METRICS}
    metrics["refusal_precision"] = m.refusal_precision(outcomes)
    metrics["refusal_recall"] = m.refusal_recall(outcomes)
    answered = [r for r in results if r.answerable and (r.keywords or r.distractors) and not r.error]
    answers = {
        "confidently_wrong": m.mean(float(bool(r.named_distractors and r.missing)) for r in answered),
        "refused": m.mean(float(r.refused) for r in results if r.answerable),
        "unanswerable_named_wrong": m.mean(
            float(bool(r.named_distractors)) for r in results if not r.answerable and r.distractors and not r.error
        ),
        "words_p50": m.percentile((r.words for r in results), 50),
        "words_p95": m.percentile((r.words for r in results), 95),
    }
    timed = [r for r in results if r.error is None]
    latency = {
        stage: {f"p{q}": m.percentile((r.timings.get(stage) for r in timed), q) for q in (50, 95)}
        for stage in m.LATENCY
    }
    return Summary(
        n=len(results),
        answerable=sum(r.answerable for r in results),
        unanswerable=sum(not r.answerable for r in results),
        errors=sum(r.error is not None for r in results),
        passed=sum(r.passed for r in results),
        metrics=metrics,
        answers=answers,
        latency=latency,
    )


# --- one case --------------------------------------------------------------------------------------


def _run_case(case: Case, assistant: Assistant, llm: str, gold_articles: set[str] | None) -> CaseResult:
    result = CaseResult(
        id=case.id,
        type=case.kind,
        question=case.question,
        history=[t.question for t in case.history],
        answerable=case.answerable,
        reference=case.answer,
        keywords=[list(g) for g in case.keywords],
        quotes=list(case.quotes),
        distractors=list(case.distractors),
    )
    t0 = time.perf_counter()
    answer: Answer | None = None
    ranking: list[Passage] = []
    try:
        filters = Filters(as_of=case.as_of)  # the case's own day: what was published after it is not used
        history: list[Turn] = []
        for turn in case.history:
            history.append(_earlier(assistant, turn, history, llm, filters))
        answer = assistant.ask(case.question, history, llm=llm, filters=filters)
        depth = max(m.TOP_K, assistant.settings.retrieve_k)
        ranking = assistant.retriever.retrieve(answer.standalone_question, filters, k=depth)
    except (ConfigError, IndexMissingError, StoreError):
        raise  # the setup is wrong, not this case: every case would fail the same way
    except Exception as exc:  # one case's failure is recorded, and the run goes on
        result.error = f"{type(exc).__name__}: {exc}"
    result.seconds = round(time.perf_counter() - t0, 3)
    _score(result, case, answer, ranking[: m.TOP_K], gold_articles)
    result.failures = _failures(result, llm)
    return result


def _earlier(assistant: Assistant, turn: HistoryTurn, history: list[Turn], llm: str, filters: Filters) -> Turn:
    """An earlier turn: as given, or asked through the pipeline (as the chat would have)."""
    if turn.answer is not None:
        return Turn(turn.question, turn.answer)
    return assistant.ask(turn.question, history, llm=llm, filters=filters).turn()


def _score(
    r: CaseResult, case: Case, answer: Answer | None, ranking: list[Passage], gold_articles: set[str] | None
) -> None:
    answered = answer is not None and not answer.refused
    on_gold: dict[int, bool] = {}
    if answer is not None:
        r.standalone_question, r.answer, r.refused = answer.standalone_question, answer.answer, answer.refused
        r.relevance, r.llm, r.notice, r.timings = answer.relevance, answer.llm, answer.notice, dict(answer.timings)
        r.p_answerable = answer.p_answerable
        r.sentences = list(answer.sentences)
        on_gold = {c.n: m.overlaps_quote(c.quote, case.quotes) for c in answer.citations}
        r.citations = [
            CitedSpan(c.n, c.article_id, c.title, c.start, c.end, c.quote, c.supported, on_gold[c.n])
            for c in answer.citations
        ]
    if case.quotes:  # from one of the gold articles, when the case names them and they are indexed
        hits = [
            m.holds_quote(p.text, case.quotes) and (not gold_articles or p.article_id in gold_articles) for p in ranking
        ]
    else:
        hits = [gold_articles is not None and p.article_id in gold_articles for p in ranking]
    r.ranking = [Ranked(p.article_id, p.title, p.start, p.end, hit) for p, hit in zip(ranking, hits, strict=True)]
    scores: dict[str, float | None] = {}
    if case.answerable and (case.quotes or gold_articles):
        r.rank = m.first_hit(hits)
        scores.update({f"hit@{k}": m.hit_at(r.rank, k) for k in m.HIT_KS})
        scores[f"mrr@{m.TOP_K}"] = m.reciprocal_rank(r.rank)
    text = " ".join(s.text for s in r.sentences) if answered else ""  # without the [n] markers
    if answered:
        r.words = m.word_count(text)
        r.named_distractors = [d for d in case.distractors if m.contains(text, d)]
    if case.answerable and case.keywords:
        r.missing = [list(g) for g in m.missing_keywords(text, case.keywords)] if answered else []
        correct = answered and not r.missing and not r.named_distractors
        scores["correctness"] = float(correct)
        # the same, and every keyword in a span it cites: the citations checked against the gold, not by
        # the pipeline's own support score
        spans = " \n ".join(c.quote for c in r.citations)
        scores["cited_correctness"] = float(correct and not m.missing_keywords(spans, case.keywords))
    if case.answerable and case.answer:
        scores["token_f1"] = m.token_f1(text, case.answer)
    if answered:
        cited = [m.CitedSentence(s.supported, tuple(on_gold.get(n, False) for n in s.citations)) for s in r.sentences]
        scores["citation_precision"] = m.citation_precision(cited)
        scores["citation_recall"] = m.citation_recall(cited)
        if case.quotes:
            scores["citation_on_gold"] = m.citation_on_gold(cited)
    r.scores = scores


def _failures(r: CaseResult, llm: str) -> list[str]:
    """What went wrong with a case, in words, for the per-case table."""
    if r.error:
        return [f"error: {r.error}"]
    out = []
    if r.llm != llm:
        out.append(f"answered by {r.llm}, not {llm}: {r.notice or 'no reason given'}")
    if r.scores.get(f"hit@{HIT_AT}") == 0.0:
        where = f"first at rank {r.rank}" if r.rank else f"none in the top {m.TOP_K}"
        out.append(f"retrieval: no gold passage in the top {HIT_AT} ({where})")
    relevance = f"relevance {r.relevance:.2f}" if r.relevance is not None else "no relevance"
    if r.p_answerable is not None:
        relevance += f", the model's P(answerable) {r.p_answerable:.2f}"
    if r.answerable and r.refused:
        out.append(f"refused an answerable question ({relevance})")
    if not r.answerable and not r.refused:
        out.append(f"answered an unanswerable question ({relevance})")
    if r.missing:
        out.append("missing: " + "; ".join(" / ".join(group) for group in r.missing))
    if r.named_distractors:
        out.append("names a wrong answer: " + "; ".join(r.named_distractors))
    on_gold = {c.n: c.on_gold for c in r.citations}
    for s in r.sentences if not r.refused else []:
        if not s.supported:
            cites = "".join(f"[{n}]" for n in s.citations) or "no citation"
            gold = ", on a gold quote" if any(on_gold.get(n) for n in s.citations) else ""
            out.append(f"unsupported sentence ({cites}{gold}): {s.text}")
    return out


def gold_articles(case: Case, infos: Sequence[ArticleInfo]) -> set[str] | None:
    """Ids of the indexed articles that the case's `article` names (by id, title, path, file name or url)."""
    if not case.article:
        return None
    refs = {ref.strip() for ref in case.article}
    titles = {ref.casefold() for ref in refs}
    return {
        a.id
        for a in infos
        if refs & {a.id, a.key, Path(a.key.split("#")[0]).name, a.url or a.id} or a.title.casefold() in titles
    }


def _warnings(cases: Sequence[Case], infos: Sequence[ArticleInfo], results: list[CaseResult], llm: str) -> list[str]:
    out = [
        f"case {c.id}: {'its article' if len(c.article) == 1 else 'none of its articles'} "
        f"{', '.join(map(repr, c.article[:3]))}{' ...' if len(c.article) > 3 else ''} "
        f"{'is' if len(c.article) == 1 else 'are'} in the index"
        for c in cases
        if c.article and not gold_articles(c, infos)
    ]
    other = [r for r in results if r.error is None and r.llm != llm]
    if other:
        out.append(f"{len(other)} cases were not answered by {llm}: {other[0].notice or other[0].llm}")
    errors = [r for r in results if r.error]
    if errors:
        out.append(f"{len(errors)} cases failed with an error, e.g. {errors[0].id}: {errors[0].error}")
    return out
