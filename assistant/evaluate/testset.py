"""Evaluation test sets: our JSONL cases, and MultiHop-RAG's queries read through an adapter.

A case (one JSON object a line; a JSON list of them is read too):

    id          unique name of the case
    question    what the user asks
    history     earlier turns of the conversation, for follow-ups: questions (asked through the
                pipeline first, as in a chat) or {"question": ..., "answer": ...} (used as given)
    answer      the reference answer (for token F1)
    keywords    facts a correct answer must contain, each a list of accepted aliases:
                [["Shoigu", "Soigu"], ["defence minister", "defense minister"]]
    distractors wrong answers a correct one must not name, e.g. the other choices of a quiz:
                an answer that lists every candidate is not an answer
    quotes      exact sentences of the articles that support the answer
    article     id, title, file name or url of the gold article, or a list of them (optional);
                with quotes, a retrieved passage hits when it holds a quote and comes from one of them
    as_of       the day the question is asked on (YYYY-MM-DD): articles published after it are not used
    answerable  false when the articles do not answer the question (the assistant should refuse)
    type        (our extension) the kind of question, e.g. who, when, follow-up, unanswerable:
                results are broken down by it

Only `id` and `question` are required; unknown fields are rejected, naming the line.

MultiHop-RAG (Tang & Yang 2024) queries are recognised by their fields (`query`, `answer`,
`question_type`, `evidence_list[].fact`): the question type is the case type, the evidence facts are
the quotes, the answer is the one keyword, and the answer "Insufficient information." marks an
unanswerable case. Its corpus (`title`, `body`, `source`, `published_at`, `url`) is read by
`assistant index`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.bundled import bundled
from assistant.errors import CaseFileError, ConfigError
from assistant.text.dates import checked_day

BUNDLED = bundled("tests/eval/seed.jsonl", "seed.jsonl")
MULTIHOP_NO_ANSWER = "insufficient information"


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str = Field(min_length=1)
    answer: str | None = None  # None: the question is asked through the pipeline first


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    history: tuple[HistoryTurn, ...] = ()
    answer: str = ""
    keywords: tuple[tuple[str, ...], ...] = ()
    distractors: tuple[str, ...] = ()
    quotes: tuple[str, ...] = ()
    article: tuple[str, ...] = ()
    answerable: bool = True
    type: str | None = None
    as_of: str | None = None  # the day the question is asked on (YYYY-MM-DD): later articles are not used

    @field_validator("as_of")
    @classmethod
    def _a_day(cls, value: str | None) -> str | None:
        try:
            return checked_day(value)
        except ConfigError as exc:
            raise ValueError(f"{value!r} is not a day (YYYY-MM-DD)") from exc

    @field_validator("article", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        return [] if value is None else [value] if isinstance(value, str) else value

    @field_validator("distractors", "article")
    @classmethod
    def _no_empty_name(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not all(v.strip() for v in value):
            raise ValueError("holds an empty text")
        return value

    @field_validator("history", mode="before")
    @classmethod
    def _questions_are_turns(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"question": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("keywords", mode="before")
    @classmethod
    def _word_is_a_group(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [[v] if isinstance(v, str) else v for v in value]
        return value

    @field_validator("keywords")
    @classmethod
    def _no_empty_alias(cls, value: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        if any(not group or not all(alias.strip() for alias in group) for group in value):
            raise ValueError("a keyword group is empty, or holds an empty alias")
        return value

    @model_validator(mode="after")
    def _unanswerable_has_no_facts(self) -> Case:
        if not self.answerable and (self.keywords or self.quotes):
            raise ValueError("an unanswerable case (answerable: false) has no keywords or quotes")
        return self

    @property
    def kind(self) -> str:
        """The type the results are grouped by."""
        return self.type or ("unanswerable" if not self.answerable else "untyped")


def load(path: Path) -> list[Case]:
    """The cases of a test set file; CaseFileError names the line of the first bad case."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseFileError(f"cannot read the test set {path}: {exc}") from None
    return parse(text, str(path))


def spread(cases: list[Case], limit: int | None) -> list[Case]:
    """At most `limit` of the cases, evenly spread over the list (all the weeks of a year, not its first ones)."""
    if limit is None or limit >= len(cases):
        return cases
    return [cases[i * len(cases) // limit] for i in range(limit)]


def parse(text: str, name: str = "the test set") -> list[Case]:
    """Cases from the text of a test set (JSONL, or a JSON list such as MultiHop-RAG's queries file)."""
    cases: list[Case] = []
    seen: dict[str, str] = {}
    for n, (where, record) in enumerate(_records(text, name), 1):
        case = _case(record, where, n)
        if case.id in seen:
            raise CaseFileError(f"{where}: id {case.id!r} is used again (first at {seen[case.id]})")
        seen[case.id] = where
        cases.append(case)
    if not cases:
        raise CaseFileError(f"{name} holds no cases")
    return cases


def _records(text: str, name: str) -> list[tuple[str, Any]]:
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CaseFileError(f"{name}: not valid JSON: {exc.msg} (line {exc.lineno})") from None
        return [(f"{name}, record {n}", record) for n, record in enumerate(data, 1)]
    records = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append((f"{name}, line {n}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise CaseFileError(f"{name}, line {n}: not valid JSON: {exc.msg}") from None
    return records


def _case(record: Any, where: str, n: int) -> Case:
    if not isinstance(record, dict):
        raise CaseFileError(f"{where}: a case is a JSON object, not {type(record).__name__}")
    if "query" in record and "question" not in record:
        record = _from_multihop(record, where, n)
    try:
        return Case.model_validate(record)
    except ValidationError as exc:
        raise CaseFileError(f"{where}: {_explain(exc)}") from None


def _explain(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            problems.append(f"unknown field {field!r} (known: {', '.join(Case.model_fields)})")
        else:
            problems.append(f"{field}: {message}" if field else message)
    return "; ".join(problems)


def _from_multihop(record: dict[str, Any], where: str, n: int) -> dict[str, Any]:
    """A MultiHop-RAG query as one of our cases."""
    answer = record.get("answer")
    evidence = record.get("evidence_list") or []
    if not isinstance(answer, str) or not isinstance(evidence, list):
        raise CaseFileError(f"{where}: a MultiHop-RAG query needs an 'answer' text and an 'evidence_list'")
    facts = [e.get("fact") for e in evidence if isinstance(e, dict)]
    if not all(isinstance(f, str) and f.strip() for f in facts) or len(facts) != len(evidence):
        raise CaseFileError(f"{where}: every item of 'evidence_list' needs a 'fact' text")
    short = answer.strip().rstrip(".").strip()
    answerable = short.lower() != MULTIHOP_NO_ANSWER
    return {
        "id": str(record.get("id") or f"multihop-{n:04d}"),
        "question": record["query"],
        "answer": answer,
        "keywords": [[short]] if answerable and short else [],
        "quotes": facts if answerable else [],
        "answerable": answerable,
        "type": record.get("question_type"),
    }
