"""The one answering pipeline that the CLI, the web app, the API and the evaluation all call.

question (+ history) -> standalone question -> passages (hybrid retrieval, filters in the store)
-> evidence sentences [n] -> answer (LLM stream, or extractive) -> checked citations -> `Answer`.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant import citations as cite
from assistant import condense, recency
from assistant.embedding import Embedder
from assistant.errors import QuestionError
from assistant.evidence import Evidence, EvidenceSelector
from assistant.llms import LLM, LLMUnavailable, Message, make_llm
from assistant.prompts import Prompts
from assistant.retrieval import Filters, Retriever
from assistant.settings import BACKENDS, Settings
from assistant.store import Store
from assistant.terms import numbers, terms
from assistant.types import Passage


def checked_backend(name: str) -> str:
    """`name` if it names an answer mode, else a QuestionError saying which ones do."""
    if name not in BACKENDS:
        raise QuestionError(f"unknown answer mode {name!r}: choose one of {', '.join(BACKENDS)}")
    return name


@dataclass(frozen=True)
class Turn:
    """An earlier exchange. `evidence` is what that turn showed the model (keeps its numbers)."""

    question: str
    answer: str
    evidence: tuple[Evidence, ...] = ()
    generated: str | None = None  # the model's own words, given back to it verbatim (its prefix cache holds them)


@dataclass(frozen=True)
class Citation(Evidence):
    """An evidence sentence the answer cites, and whether the sentences citing it are supported by it."""

    supported: bool = False


@dataclass
class Answer:
    question: str
    standalone_question: str
    answer: str
    refused: bool
    citations: list[Citation]
    sentences: list[cite.Sentence]
    passages: list[Passage]
    evidence: list[Evidence]  # shown to the model in this turn (new numbers only)
    llm: str
    relevance: float
    p_answerable: float | None = None  # the model's probability that the sources state the answer
    notice: str | None = None
    timings: dict[str, float | int | None] = field(default_factory=dict)
    generated: str | None = None  # what the model wrote, before the citation check (None: no model)
    # for a question about time ("when", "this week"): the days of the cited articles, "Reported on 8 January 2025"
    reported: str | None = None

    def turn(self) -> Turn:
        # a refused answer is given back as the refusal, not as the words the model was refused for
        return Turn(self.question, self.answer, tuple(self.evidence), None if self.refused else self.generated)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["sentences"] = [
            {"text": s.text, "citations": list(s.citations), "supported": s.supported} for s in self.sentences
        ]
        return data


class Assistant:
    def __init__(self, settings: Settings, store: Store | None = None, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.store = store or Store(settings)
        self.embedder = embedder or Embedder.from_settings(settings)
        self.retriever = Retriever(settings, self.store, self.embedder)
        self.selector = EvidenceSelector(self.embedder, settings.evidence_sentences, settings.evidence_tokens)
        self.prompts = Prompts(settings.prompts_dir)
        self._llms: dict[str, LLM] = {}

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        llm: str | None = None,
        filters: Filters | None = None,
    ) -> Answer:
        for event in self.stream(question, history, llm, filters):
            if isinstance(event, Answer):
                return event
        raise AssertionError("the stream ended without an answer")

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        llm: str | None = None,
        filters: Filters | None = None,
    ) -> Generator[str | Answer, None, None]:
        """Text pieces as they are generated, then the checked `Answer` (whose text may differ).

        Bad input raises `QuestionError` here, at the call, before any work (not at the first piece)."""
        question = " ".join("".join(c if c.isprintable() else " " for c in question).split())
        if not question:
            raise QuestionError("the question is empty")
        if len(question) > self.settings.max_question_chars:
            raise QuestionError(
                f"the question is {len(question):,} characters long; at most {self.settings.max_question_chars:,} "
                "are accepted (ASSISTANT_MAX_QUESTION_CHARS)"
            )
        backend = checked_backend(llm or self.settings.llm)
        if backend == "extractive":
            return self._answer(question, history, backend, filters, None)
        model = self._llm(backend)
        model.busy()  # a full queue is told so before a response starts
        return self._on(model, question, history, backend, filters)

    def _on(
        self, model: LLM, question: str, history: Sequence[Turn], backend: str, filters: Filters | None
    ) -> Generator[str | Answer, None, None]:
        """The answer with the model held throughout; "" once it is, which lets a server notice a client
        that left while waiting (closing this generator lets the model go)."""
        with model.session():
            yield ""
            yield from self._answer(question, history, backend, filters, model)

    def _answer(
        self, question: str, history: Sequence[Turn], backend: str, filters: Filters | None, model: LLM | None
    ) -> Generator[str | Answer, None, None]:
        t0 = time.perf_counter()
        # numbers go on from every earlier turn's, also those out of the window the model sees
        first_free = max((e.n for turn in history for e in turn.evidence), default=0) + 1
        history = list(history)[-self.settings.history_turns :] if self.settings.history_turns else []
        timings: dict[str, float | int | None] = {"prompt_tokens": None, "first_token_ms": None}
        notice: str | None = None

        standalone, notice = self._standalone(question, history, model)
        timings["condense_ms"] = _ms(t0)

        t1 = time.perf_counter()
        passages = self.retriever.retrieve(standalone, filters)
        timings["retrieve_ms"] = _ms(t1)
        shown = [e for turn in history for e in turn.evidence]
        next_n = first_free
        fresh, relevance = self.selector.select(standalone, passages)
        # earlier sentences may serve again, but only those the new turn's filters admit
        turn_filters = filters or Filters()
        allowed = [e for e in shown if turn_filters.admits(e.source, e.published_at)]
        if allowed and model is not None:
            fresh, relevance = self._prefer_shown(standalone, fresh, relevance, allowed)
        known = {e.span: e for e in shown}  # a sentence shown earlier keeps its number
        new = _renumber([e for e in fresh if e.span not in known], next_n)
        new_by_span = {e.span: e for e in new}
        evidence = [known.get(e.span) or new_by_span[e.span] for e in fresh]
        timings["evidence_ms"] = round(_ms(t1) - float(timings["retrieve_ms"] or 0), 1)
        timings["new_evidence"] = len(new)

        p_answerable: float | None = None

        def done(
            text: str, refused: bool, sentences: list[cite.Sentence], used: str, generated: str | None = None
        ) -> Answer:
            # a refusal shows no evidence, so the next turn numbers from where this one started
            timings["total_ms"] = _ms(t0)
            if timings["first_token_ms"] is None:
                timings["first_token_ms"] = timings["total_ms"]
            citations = _cited(sentences, evidence + shown)
            reported = None
            if not refused and recency.about_time(standalone):
                reported = recency.reported_on([c.published_at or "" for c in citations])
            return Answer(
                question=question,
                standalone_question=standalone,
                answer=text,
                refused=refused,
                citations=citations,
                sentences=sentences,
                passages=passages,
                evidence=[] if refused else new,
                llm=used,
                relevance=relevance,
                p_answerable=p_answerable,
                notice=notice,
                timings=timings,
                generated=generated,
                reported=reported,
            )

        if not evidence or relevance < self.settings.min_relevance:
            yield self.prompts.refusal
            yield done(self.prompts.refusal, True, [], backend)
            return

        if model is not None:
            messages = self._messages(history, new, question)  # the model reads the history itself
            try:
                if self.settings.verify_answerable:
                    t2 = time.perf_counter()
                    verify = {"role": "user", "content": self._user(new, question, "verify.j2")}
                    p_answerable = model.judge([*messages[:-1], verify])
                    timings["verify_ms"] = _ms(t2)
                    if p_answerable is not None and p_answerable < self.settings.verify_answerable:
                        yield self.prompts.refusal
                        yield done(self.prompts.refusal, True, [], backend)
                        return
                raws, answers = yield from self._generate(
                    model, history, new, next_n, question, standalone, timings, t0
                )
                raw = " ".join(raws)
                if not answers:
                    yield done(self.prompts.refusal, True, [], backend, raw)
                    return
                corpus = self.retriever.vocabulary()
                judge = sentence_judge(model, self.prompts, question) if self.settings.claim_threshold else None
                checked: list[cite.Sentence] = []
                t3 = time.perf_counter()
                for i, said in enumerate(answers):  # a further article's part adds only what its sources back
                    part_checked = cite.check(
                        said,
                        evidence + shown,
                        self.selector.vectors,
                        standalone,
                        corpus,
                        judge,
                        self.settings.claim_threshold,
                    )
                    checked += part_checked if i == 0 else [s for s in part_checked if s.supported]
                timings["check_ms"] = _ms(t3)
                if not any(s.supported for s in checked):
                    notice = "the model's answer could not be checked against the sources, so it is not shown"
                    yield done(self.prompts.refusal, True, [], backend, raw)
                    return
                yield done(cite.render(checked), False, checked, backend, raw)
                return
            except LLMUnavailable as exc:
                notice = f"{exc}; showing the extractive answer instead"

        sentences = self._extract(evidence)
        text = cite.render(sentences)
        timings["first_token_ms"] = _ms(t0)
        yield text
        yield done(text, False, sentences, "extractive")

    def warm_retrieval(self) -> None:
        """Answer one question extractively, so that the first user's question pays for loading nothing: the
        embedding model, the keyword index and its vocabulary, Chroma's vector index, the sentence splitter."""
        self.ask("What happened this week?", llm="extractive")

    def warm(self, llm: str) -> None:
        """Load a backend's model and have it read the system prompt, which every conversation starts
        with, so that the first question pays for neither (llama.cpp keeps an evaluated prefix)."""
        system: Message = {"role": "system", "content": self.prompts.render("system.j2")}
        for _ in self._llm(llm).stream([system, {"role": "user", "content": "Hello"}], 1):
            pass

    def refresh(self) -> None:
        """Call after the indexed articles changed."""
        self.retriever.refresh()

    # --- steps -----------------------------------------------------------------------------------

    def _llm(self, name: str) -> LLM:
        if name not in self._llms:
            self._llms[name] = make_llm(self.settings, name)
        return self._llms[name]

    def _standalone(self, question: str, history: list[Turn], model: LLM | None) -> tuple[str, str | None]:
        if not history or not condense.needs_context(question):
            return question, None
        if model is not None and self.settings.condense == "llm":
            try:
                pairs = [(t.question, t.answer) for t in history]
                rewritten = condense.by_model(model, self.prompts, question, pairs)
                if rewritten:
                    return rewritten, None
            except LLMUnavailable:
                pass  # the answer step reports it
        return condense.by_rule(question, history[-1].question), None

    def _prefer_shown(
        self, question: str, fresh: list[Evidence], relevance: float, shown: list[Evidence]
    ) -> tuple[list[Evidence], float]:
        """For a follow-up: when the sentences already in the conversation serve the question nearly as
        well as the best new one, answer from them alone; the model then reads nothing new (fast)."""
        scores = self.selector.score(question, [e.quote for e in shown])
        best = float(scores.max())
        if best < self.settings.follow_up_reuse * relevance:
            return fresh, relevance
        ranked = sorted(zip(scores.tolist(), shown, strict=True), key=lambda x: -x[0])
        return [e for score, e in ranked if score >= 0.6 * best][: self.settings.evidence_sentences], best

    def _generate(
        self,
        model: LLM,
        history: list[Turn],
        evidence: list[Evidence],
        first: int,
        question: str,
        standalone: str,
        timings: dict[str, float | int | None],
        t0: float,
    ) -> Generator[str, None, tuple[list[str], list[str]]]:
        """Streams the model's answer, part after part (see `_parts`); returns what it wrote for each part
        (markers in the turn's numbers) and the parts that answer (a further part less its repeats)."""
        raws: list[str] = []
        answers: list[str] = []
        for part in self._parts(evidence):
            # each part is numbered from where this turn starts, and its numbers are mapped back
            shown = _renumber(part, first)
            messages = self._messages(history, shown, question)
            if timings["prompt_tokens"] is None:
                timings["prompt_tokens"] = model.count_tokens(messages)
            if raws:
                yield " "
            pieces: list[str] = []
            for piece in model.stream(messages, self.settings.max_answer_tokens):
                if timings["first_token_ms"] is None:
                    timings["first_token_ms"] = _ms(t0)
                pieces.append(piece)
                yield piece
            to_turn = {a.n: b.n for a, b in zip(shown, part, strict=True)}
            raws.append(_numbers_mapped("".join(pieces).strip(), to_turn, first))
            said = cite.without_list_numbers(raws[-1])
            said = cite.without_repeats(said, " ".join(answers)) if answers else said
            if said and not (_is_refusal(said, self.prompts.refusal) or _says_nothing(said, [question, standalone])):
                answers.append(said)
        return raws, answers

    def _parts(self, evidence: list[Evidence]) -> list[list[Evidence]]:
        """The evidence in one part, or, when several articles have a sentence nearly as good as the best,
        one part per such article: a small model answers from one article and misses the other's half."""
        if not evidence:
            return [evidence]
        best: dict[str, float] = {}
        for e in evidence:
            best[e.article_id] = max(best.get(e.article_id, 0.0), e.score)
        top = max(best.values())
        strong = [a for a, score in best.items() if score >= self.settings.per_article * top]
        if len(strong) < 2:
            return [evidence]
        return [[e for e in evidence if e.article_id == a] for a in strong]

    def _messages(self, history: list[Turn], evidence: list[Evidence], question: str) -> list[Message]:
        messages: list[Message] = [{"role": "system", "content": self.prompts.render("system.j2")}]
        for turn in history:
            messages.append({"role": "user", "content": self._user(turn.evidence, turn.question)})
            messages.append({"role": "assistant", "content": turn.generated or turn.answer})
        messages.append({"role": "user", "content": self._user(evidence, question)})
        return messages

    def _user(self, evidence: Sequence[Evidence], question: str, template: str = "answer.j2") -> str:
        """The last request: answer the question from the evidence (or, with verify.j2, say whether it can).

        See `user_prompt`."""
        return user_prompt(self.prompts, evidence, question, template)

    def _extract(self, evidence: list[Evidence]) -> list[cite.Sentence]:
        """The best evidence sentence and up to `extractive_sentences` - 1 that score nearly as well, best first,
        quoted verbatim with their numbers."""
        best = evidence[0].score
        chosen = [e for e in evidence if e.score >= 0.85 * best][: self.settings.extractive_sentences]
        return [cite.Sentence(" ".join(e.quote.split()), (e.n,), True, 1.0) for e in chosen]


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


def sentence_judge(model: LLM, prompts: Prompts, question: str) -> cite.Judge:
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


def _renumber(evidence: list[Evidence], first: int) -> list[Evidence]:
    return [dataclasses.replace(e, n=first + i) for i, e in enumerate(evidence)]


def _numbers_mapped(text: str, numbers: dict[int, int], first: int) -> str:
    """The model's markers with its part's numbers made the turn's; one naming no sentence of the part
    becomes 0 (dropped by the citation check), one below `first` (an earlier turn's) stays."""

    def mapped(m: re.Match[str]) -> str:
        turn = [n if n < first else numbers.get(n, 0) for n in cite.marker_numbers(m)]
        return m.group(0)[: m.start(1) - m.start()] + ", ".join(map(str, turn)) + "]"

    return cite.MARKER.sub(mapped, text)


def _cited(sentences: Sequence[cite.Sentence], evidence: Sequence[Evidence]) -> list[Citation]:
    by_n = {e.n: e for e in evidence}
    supported: dict[int, bool] = {}
    for s in sentences:
        for n in s.citations:
            supported[n] = supported.get(n, False) or s.supported
    return [
        Citation(**{f.name: getattr(e, f.name) for f in dataclasses.fields(e)}, supported=supported[n])
        for n in sorted(supported)
        if (e := by_n.get(n))
    ]


_DECLINES = (
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


def _is_refusal(text: str, refusal: str) -> bool:
    """The model said, in some words, that the sources do not answer (it rarely uses the exact ones)."""
    norm = " ".join(text.lower().replace("’", "'").split())
    return norm.startswith(refusal.lower().rstrip(".")) or (len(norm) < 120 and any(p in norm for p in _DECLINES))


_ASKS_QUANTITY = re.compile(r"\bhow (?:many|much|old|long)\b", re.IGNORECASE)


def _says_nothing(text: str, questions: Sequence[str]) -> bool:
    """An answer that tells nothing: every content word comes from the question ("The name of X is [1]."),
    or a question for a quantity (how many, much, old, long) gets no number beyond the question's own."""
    text = cite.MARKER.sub(" ", text)
    if not set(terms(text)) - {t for q in questions for t in terms(q)}:
        return True
    asked = set().union(*(numbers(q) for q in questions))
    return any(_ASKS_QUANTITY.search(q) for q in questions) and not numbers(text) - asked


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
