"""The shapes the HTTP API answers with, so that `/api/openapi.json` and the docs page show them.

Each mirrors the JSON its dataclass gives (`Answer.to_json`, `ArticleInfo.to_json`, the index report);
tests/test_web.py checks that the two keep the same fields, so a field added to one is not dropped by the other.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class SpanOut(BaseModel):
    article_id: str
    title: str
    source: str | None
    published_at: str | None
    start: int = Field(description="Offset of the span's first character in the article's clean text.")
    end: int = Field(description="Offset just past its last character: text[start:end] is the quote.")


class EvidenceOut(SpanOut):
    n: int = Field(description="The number the answer cites it by, [n].")
    quote: str = Field(description="The article's clean text from start to end, exactly.")
    score: float


class CitationOut(EvidenceOut):
    supported: bool = Field(description="Whether the answer's sentences that cite it are supported by it.")


class PassageOut(SpanOut):
    text: str
    score: float = Field(description="Fused relevance, 1.0 for the best passage.")
    similarity: float | None = Field(description="Cosine similarity to the question (dense ranking only).")


class SentenceOut(BaseModel):
    text: str = Field(description="A sentence of the answer, without its [n] markers.")
    citations: list[int]
    supported: bool


class AnswerOut(BaseModel):
    question: str
    standalone_question: str = Field(description="The question as retrieval read it (a follow-up made whole).")
    answer: str = Field(description="The checked answer, with [n] markers.")
    refused: bool
    citations: list[CitationOut]
    sentences: list[SentenceOut]
    passages: list[PassageOut]
    evidence: list[EvidenceOut] = Field(description="The sentences shown to the model in this turn.")
    llm: str
    relevance: float
    p_answerable: float | None
    notice: str | None
    timings: dict[str, float | int | None]
    generated: str | None = Field(description="What the model wrote, before the citation check (None: no model).")
    reported: str | None = Field(
        description="For a question about time: the days of the cited articles ('Reported on 8 January 2025')."
    )


class ArticleOut(BaseModel):
    id: str
    path: str = Field(description="The file (and record) it was indexed from.")
    title: str
    source: str | None
    author: str | None
    published_at: str | None
    url: str | None
    n_chunks: int
    n_chars: int


class ArticleTextOut(ArticleOut):
    text: str = Field(description="The clean text that every citation's offsets point into.")


class SkippedOut(BaseModel):
    key: str
    reason: str
    error: bool


class DuplicateOut(BaseModel):
    key: str
    of_key: str
    of_title: str
    similarity: float


class IndexReportOut(BaseModel):
    added: int
    updated: int
    unchanged: int
    removed: int
    skipped: list[SkippedOut]
    duplicates: list[DuplicateOut]
    chunks_embedded: int
    articles_total: int
    chunks_total: int
    seconds: float
    encode_seconds: float
    keyword_seconds: float


class HealthOut(BaseModel):
    ready: bool
    stage: str
    message: str
    articles: int
    model: str
    model_queue: int = Field(description="Answers holding or waiting for the local model.")
