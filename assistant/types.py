"""The data that flows through the pipeline, named once.

article file -> `Draft` (raw text + metadata hints) -> `Article` (clean text + metadata)
-> `Chunk` (offsets into the clean text) -> store -> `Passage` (chunk + article fields + score).
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

Format = Literal["text", "markdown", "html", "record"]


@dataclass(frozen=True)
class Draft:
    """One article as read from a file, before cleaning.

    `key` names where it came from (a path, or `path#N` for the N-th record of a JSON file); re-indexing
    the same key replaces the article. Metadata fields are hints from the container (JSON fields, HTML
    meta tags, Markdown front matter); cleaning fills in what the text itself says.
    """

    key: str
    body: str
    format: Format
    title: str | None = None
    source: str | None = None
    author: str | None = None
    published_at: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Article:
    key: str
    title: str
    text: str
    source: str | None = None
    author: str | None = None
    published_at: str | None = None  # ISO 8601, without a time zone when the page gives none
    url: str | None = None
    id: str = field(init=False)

    def __post_init__(self) -> None:
        digest = hashlib.sha256(f"{self.title}\n\n{self.text}".encode()).hexdigest()
        object.__setattr__(self, "id", digest[:16])


@dataclass(frozen=True)
class Chunk:
    article_id: str
    n: int
    start: int
    end: int
    text: str  # == article.text[start:end]

    @property
    def id(self) -> str:
        return f"{self.article_id}-{self.n:04d}"


@dataclass(frozen=True)
class ArticleInfo:
    """An indexed article's metadata, as listed by `assistant articles`."""

    id: str
    key: str
    title: str
    source: str | None
    author: str | None
    published_at: str | None
    url: str | None
    n_chunks: int
    n_chars: int

    def to_json(self) -> dict[str, Any]:
        """As the CLI and the API show it: the record key is the file it came from, `path`."""
        data = dataclasses.asdict(self)
        data["path"] = data.pop("key")
        return data


@dataclass(frozen=True)
class Located:
    """Where a piece of text is: its article (id, and the title, source and date a reader is shown) and the
    character offsets into that article's clean text. Passages, evidence sentences and the spans the pages
    highlight are all located so."""

    article_id: str
    title: str
    source: str | None
    published_at: str | None
    start: int
    end: int

    @property
    def span(self) -> tuple[str, int, int]:
        return self.article_id, self.start, self.end


@dataclass(frozen=True)
class Passage(Located):
    """A retrieved chunk with its article's fields and a relevance score (higher is better)."""

    text: str
    score: float  # fused relevance, 1.0 for the best passage
    similarity: float | None = None  # cosine similarity to the question, when the dense ranking found it


@dataclass(frozen=True)
class Evidence(Located):
    """A sentence shown to the model as source [n]."""

    quote: str  # == the article's clean text[start:end]
    score: float
    n: int


@dataclass(frozen=True)
class Citation(Evidence):
    """An evidence sentence the answer cites, and whether the sentences citing it are supported by it."""

    supported: bool = False


@dataclass(frozen=True)
class Sentence:
    text: str  # without its markers
    citations: tuple[int, ...]
    supported: bool
    support: float


@dataclass(frozen=True)
class Turn:
    """An earlier exchange. `evidence` is what that turn showed the model (keeps its numbers)."""

    question: str
    answer: str
    evidence: tuple[Evidence, ...] = ()
    generated: str | None = None  # the model's own words, given back to it verbatim (its prefix cache holds them)


@dataclass
class Answer:
    question: str
    standalone_question: str
    answer: str
    refused: bool
    citations: list[Citation]
    sentences: list[Sentence]
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
