"""Question -> passages: dense (Chroma) and BM25 rankings fused by reciprocal rank fusion.

Filters (source, date range) are Chroma `where` clauses, so both rankings only ever see matching
chunks: the dense query carries the clause, and BM25 is masked to the chunk ids Chroma returns for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.dates import parse_date, to_timestamp
from assistant.embedding import Embedder
from assistant.errors import ConfigError
from assistant.questions import question_parts
from assistant.settings import Settings
from assistant.store import Hit, Store
from assistant.terms import Vocabulary, terms
from assistant.types import Chunk, Passage


@dataclass(frozen=True)
class Filters:
    source: str | None = None
    since: str | None = None  # a date in any common form, inclusive
    until: str | None = None  # inclusive: the whole day when only a date is given

    @classmethod
    def checked(
        cls, source: str | None, since: str | None, until: str | None, sources: Iterable[str | None]
    ) -> Filters:
        """Filters from user input: the source matched case-insensitively against the indexed `sources`,
        the dates parsed; a source that names nothing indexed or a bad date is a ConfigError."""
        source = (source or "").strip() or None
        if source:
            known = sorted({s for s in sources if s})
            match = [s for s in known if s.casefold() == source.casefold()]
            if not match:
                raise ConfigError(f"--source {source!r} names no indexed source; known: {', '.join(known) or 'none'}")
            source = match[0]
        filters = cls(source, (since or "").strip() or None, (until or "").strip() or None)
        filters.where()  # a bad date fails here, before any work
        return filters

    def where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.source:
            clauses.append({"source": {"$eq": self.source}})
        if self.since:
            clauses.append({"published_ts": {"$gte": _timestamp(self.since, "since")}})
        if self.until:
            end = _timestamp(self.until, "until")
            if len(self.until.strip()) <= 10:  # a bare date: up to the end of that day
                end += 86399
            clauses.append({"published_ts": {"$lte": end}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _timestamp(value: str, name: str) -> int:
    iso = parse_date(value)
    ts = to_timestamp(iso)
    if ts is None:
        raise ConfigError(f"--{name} {value!r} is not a date (try 2023-09-15)")
    return ts


class _Lexical:
    """A BM25 index (bm25s) over the committed chunks, and the words of the corpus it holds."""

    def __init__(self, store: Store) -> None:
        import bm25s

        self.ids, self.hits = store.committed_chunks()
        self.row = {chunk_id: i for i, chunk_id in enumerate(self.ids)}
        self.bm25 = bm25s.BM25()
        corpus = [terms(f"{h.article['title']}\n{h.chunk.text}") or ["∅"] for h in self.hits]
        if corpus:
            self.bm25.index(corpus, show_progress=False)
        self.vocabulary = Vocabulary(t for chunk in corpus for t in chunk)

    def rank(self, question: str, k: int, allowed: list[str] | None) -> list[Hit]:
        query = terms(question)
        if not query or not self.ids:
            return []
        mask = None
        if allowed is not None:
            mask = np.zeros(len(self.ids), dtype=np.float32)
            mask[[self.row[i] for i in allowed if i in self.row]] = 1.0
            if not mask.any():
                return []
        known = [t for t in query if t in self.bm25.vocab_dict]
        if not known:
            return []
        docs, scores = self.bm25.retrieve(
            [known], k=min(k, len(self.ids)), show_progress=False, weight_mask=mask, n_threads=1
        )
        return [self.hits[int(d)] for d, s in zip(docs[0], scores[0], strict=True) if s > 0]


class Retriever:
    def __init__(self, settings: Settings, store: Store, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self._lexical: _Lexical | None = None
        self._lexical_version: tuple[int, int] | None = None

    def lexical(self) -> _Lexical:
        version = self.store.count()
        if self._lexical is None or version != self._lexical_version:
            self._lexical = _Lexical(self.store)
            self._lexical_version = version
        return self._lexical

    def vocabulary(self) -> Vocabulary:
        """The (stemmed) words the committed articles hold, titles included."""
        return self.lexical().vocabulary

    def refresh(self) -> None:
        """Forget the BM25 index (call after the articles changed)."""
        self._lexical = None

    def retrieve(self, question: str, filters: Filters | None = None, k: int | None = None) -> list[Passage]:
        s = self.settings
        k = k or s.retrieve_k
        where = (filters or Filters()).where()
        allowed = self.store.chunk_ids(where) if where else None
        if allowed is not None and not allowed:
            return []
        candidates = max(s.candidates, k)
        # a two-part question is also looked up part by part; the parts together weigh as much as the whole
        parts = question_parts(question)
        queries = [(question, 1.0)] + [(part, 1.0 / len(parts)) for part in parts]
        vectors = self.embedder.encode([q for q, _ in queries])
        fused: dict[str, float] = {}
        by_id: dict[str, Hit] = {}
        similarity: dict[str, float | None] = {}
        firsts: list[str] = []
        bm25 = self.lexical()  # once: each call asks the store whether the articles changed
        for (query, share), vector in zip(queries, vectors, strict=True):
            dense = self.store.query(vector, candidates, where)
            lexical = bm25.rank(query, candidates, allowed)
            for weight, ranking in ((s.dense_weight * share, dense), (s.bm25_weight * share, lexical)):
                for rank, hit in enumerate(ranking, start=1):
                    fused[hit.chunk.id] = fused.get(hit.chunk.id, 0.0) + weight / (s.rrf_k + rank)
                    by_id.setdefault(hit.chunk.id, hit)
            if query == question:
                similarity = {h.chunk.id: h.similarity for h in dense}
                firsts = [ranking[0].chunk.id for ranking in (dense, lexical) if ranking]
        order = sorted(fused, key=lambda i: -fused[i])
        best = fused[order[0]] if order else 1.0
        return [
            to_passage(by_id[i].chunk, by_id[i].article, fused[i] / best, similarity.get(i))
            for i in _with_firsts(_diverse(order, by_id), firsts, k)
        ]


def _with_firsts(order: list[str], firsts: list[str], k: int) -> list[str]:
    """The first k of `order`, in which each ranking's first pick has a place: a passage only one ranking
    finds (a rare name BM25 ranks first, the embeddings 28th) fuses below ones both rank fairly well."""
    top = order[:k]
    missing = [i for i in dict.fromkeys(firsts) if i not in top]
    if not missing:
        return top
    kept = [i for i in top if i in firsts] + [i for i in top if i not in firsts]
    return [i for i in order if i in kept[: k - len(missing)] or i in missing]


def _diverse(order: list[str], hits: dict[str, Hit], threshold: float = 0.6) -> list[str]:
    """Fused order, with near-copies of a passage already chosen (another outlet's reprint) moved last."""
    chosen: list[str] = []
    chosen_words: list[set[str]] = []
    later: list[str] = []
    for chunk_id in order:
        words = set(terms(hits[chunk_id].chunk.text))
        copy = any(
            hits[c].chunk.article_id != hits[chunk_id].chunk.article_id
            and len(words & w) / max(1, len(words | w)) >= threshold
            for c, w in zip(chosen, chosen_words, strict=True)
        )
        (later if copy else chosen).append(chunk_id)
        if not copy:
            chosen_words.append(words)
    return chosen + later


def to_passage(chunk: Chunk, article: dict[str, Any], score: float, similarity: float | None) -> Passage:
    """A stored chunk with its article's fields, as retrieval returns it."""
    return Passage(
        article_id=chunk.article_id,
        title=str(article["title"]),
        source=article.get("source"),
        published_at=article.get("published_at"),
        start=chunk.start,
        end=chunk.end,
        text=chunk.text,
        score=round(score, 4),
        similarity=None if similarity is None else round(similarity, 4),
    )
