"""The one answering pipeline that the CLI, the web app, the API and the evaluation all call.

question (+ history) -> standalone question -> passages (hybrid retrieval, filters in the store)
-> evidence sentences [n] -> answer (LLM stream, or extractive) -> checked citations -> `Answer`.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Sequence

from assistant.answer import condense
from assistant.answer.evidence import EvidenceSelector
from assistant.answer.llms import LLM, LLMUnavailable, Message, make_llm
from assistant.answer.messages import sentence_judge, turn_messages, user_prompt
from assistant.answer.parts import numbers_mapped, parts, renumber
from assistant.answer.prompts import Prompts
from assistant.cite import check as cite
from assistant.cite import refusals
from assistant.cite.roles import role_checked
from assistant.errors import QuestionError
from assistant.retrieve import recency
from assistant.retrieve.hybrid import Filters, Retriever
from assistant.settings import BACKENDS, Settings
from assistant.store.chroma import Store
from assistant.store.embedding import Embedder
from assistant.types import Answer, Evidence, Sentence, Turn


def checked_backend(name: str) -> str:
    """`name` if it names an answer mode, else a QuestionError saying which ones do."""
    if name not in BACKENDS:
        raise QuestionError(f"unknown answer mode {name!r}: choose one of {', '.join(BACKENDS)}")
    return name


class Assistant:
    def __init__(self, settings: Settings, store: Store | None = None, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.store = store or Store(settings)
        self.embedder = embedder or Embedder.from_settings(settings)
        self.retriever = Retriever(settings, self.store, self.embedder)
        self.selector = EvidenceSelector(
            self.embedder, settings.evidence_sentences, settings.evidence_tokens, settings.off()
        )
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
        # the ranking's order for quoted answers only: with the model it measured even on RealTimeQA 2025 and lost a
        # bundled two-article answer's second half (docs/evaluation.md, "Evidence order")
        fresh, relevance = self.selector.select(
            standalone, passages, (filters or Filters()).day(), ranking=model is None
        )
        # earlier sentences may serve again, but only those the new turn's filters admit
        turn_filters = filters or Filters()
        allowed = [e for e in shown if turn_filters.admits(e.source, e.published_at)]
        if allowed and model is not None:
            fresh, relevance = self._prefer_shown(standalone, fresh, relevance, allowed)
        known = {e.span: e for e in shown}  # a sentence shown earlier keeps its number
        new = renumber([e for e in fresh if e.span not in known], next_n)
        new_by_span = {e.span: e for e in new}
        evidence = [known.get(e.span) or new_by_span[e.span] for e in fresh]
        timings["evidence_ms"] = round(_ms(t1) - float(timings["retrieve_ms"] or 0), 1)
        timings["new_evidence"] = len(new)

        p_answerable: float | None = None

        def done(
            text: str, refused: bool, sentences: list[Sentence], used: str, generated: str | None = None
        ) -> Answer:
            # a refusal shows no evidence, so the next turn numbers from where this one started
            timings["total_ms"] = _ms(t0)
            if timings["first_token_ms"] is None:
                timings["first_token_ms"] = timings["total_ms"]
            citations = cite.cited(sentences, evidence + shown)
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
            messages = turn_messages(self.prompts, history, new, question)  # the model reads the history itself
            try:
                if self.settings.verify_answerable:
                    t2 = time.perf_counter()
                    verify = {"role": "user", "content": user_prompt(self.prompts, new, question, "verify.j2")}
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
                judge = None
                if self.settings.claim_threshold:
                    judge = role_checked(
                        sentence_judge(model, self.prompts, question),
                        self.settings.claim_threshold,
                        self.settings.claim_role_swaps,
                    )
                checked: list[Sentence] = []
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
                        self.settings.off(),
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
        """Streams the model's answer, part after part (see `parts.parts`); returns what it wrote for each part
        (markers in the turn's numbers) and the parts that answer (a further part less its repeats)."""
        raws: list[str] = []
        answers: list[str] = []
        for part in parts(evidence, self.settings.per_article):
            # each part is numbered from where this turn starts, and its numbers are mapped back
            shown = renumber(part, first)
            messages = turn_messages(self.prompts, history, shown, question)
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
            raws.append(numbers_mapped("".join(pieces).strip(), to_turn, first))
            said = cite.without_list_numbers(raws[-1])
            said = cite.without_repeats(said, " ".join(answers)) if answers else said
            if said and not (
                refusals.is_refusal(said, self.prompts.refusal) or refusals.says_nothing(said, [question, standalone])
            ):
                answers.append(said)
        return raws, answers

    def _extract(self, evidence: list[Evidence]) -> list[Sentence]:
        """The best evidence sentence and up to `extractive_sentences` - 1 that score nearly as well, best first,
        quoted verbatim with their numbers."""
        best = evidence[0].score
        chosen = [e for e in evidence if e.score >= 0.85 * best][: self.settings.extractive_sentences]
        return [Sentence(" ".join(e.quote.split()), (e.n,), True, 1.0) for e in chosen]


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
